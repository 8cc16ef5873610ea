package dev.idempotent.example.comments;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /comments}.
 *
 * @param text what the comment says, up to 1000 characters
 */
public record CreateCommentRequest(@NotBlank @Size(max = 1000) String text) {
}
