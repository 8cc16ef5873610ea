package dev.idempotent.example.comments;

/**
 * A posted comment.
 *
 * @param id the comment's id
 * @param text what it says
 * @param author the user who posted it
 */
public record Comment(String id, String text, String author) {
}
