/*
 * Copyright the idempotent authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the License is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
 * implied. See the License for the specific language governing permissions and limitations under the
 * License.
 */
package dev.idempotent.example.comments;

import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /comments} takes a one-time token as its {@code Idempotency-Key}: a form fetches one
 * from {@code POST /idempotency-tokens?operation=comments} when it is shown, so a double submit posts
 * one comment, and a client cannot post without having asked first. {@code GET /comments} lists the
 * caller's comments.
 */
@RestController
class CommentController {

	private final Map<String, List<Comment>> commentsByAuthor = new ConcurrentHashMap<>();

	@PostMapping("/comments")
	@Idempotent(name = "comments", token = true)
	ResponseEntity<Comment> create(@Valid @RequestBody CreateCommentRequest request, Principal principal) {
		Comment comment = new Comment(UUID.randomUUID().toString(), request.text(), principal.getName());
		this.commentsByAuthor.computeIfAbsent(principal.getName(), (author) -> new CopyOnWriteArrayList<>())
			.add(comment);
		return ResponseEntity.created(URI.create("/comments/" + comment.id())).body(comment);
	}

	@GetMapping("/comments")
	List<Comment> list(Principal principal) {
		return List.copyOf(this.commentsByAuthor.getOrDefault(principal.getName(), List.of()));
	}

}
