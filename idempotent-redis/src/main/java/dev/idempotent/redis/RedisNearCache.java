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
package dev.idempotent.redis;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.RedisPassword;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * An optional near-cache of completed records for {@link RedisIdempotencyStore}, kept coherent by
 * Redis's server-assisted client-side caching, so that a retry storm on a completed key is answered in
 * the process with no round trip to Redis.
 * <p>
 * The cache holds a Lettuce connection of its own, speaking RESP3, to the Redis of the store's
 * {@link LettuceConnectionFactory} (standalone or Sentinel), with {@code CLIENT TRACKING on} in the
 * default mode: Redis remembers the keys this connection read and pushes an invalidation on it when
 * one of them is written, deleted or expires. Broadcasting mode is not used: it would push every new
 * claim to every instance. When a claim meets a completed record for the second time on this
 * instance, the store lets the cache {@linkplain #learn learn} that key (a client's single retry costs
 * no read): the cache reads it once ({@code GET}, {@code PTTL}) on its connection, so Redis tracks it there, and keeps the record until Redis invalidates the key, the
 * record's own time to live lapses (by the store's clock), or the cache needs room (it holds at most
 * {@code maxEntries} keys, the least recently used going first). Only records completed with their
 * outcome are kept; a claim in progress, a token, or a record completed without its outcome (whose
 * state changes back as it nears its end) never is.
 * <p>
 * Coherence: a read that an invalidation overtakes never installs its reply. The key holds a
 * placeholder from before the read is sent; an invalidation of the key removes it, and the reply
 * installs its record only where that very placeholder is still there. Replies and invalidations
 * arrive in order on the one connection, so once Redis has acknowledged a write, the next answer this
 * connection receives comes after that write's invalidation. While the connection is down, nothing is
 * answered from the cache, and every entry is dropped, since Redis forgot what it tracked for it; the
 * cache starts learning again once the new connection tracks. Between a write on another instance and
 * its invalidation reaching this one, a duplicate may still be answered from the cache: a deleted
 * record is seen gone by the other instances when Redis's invalidation reaches them, as any read of a
 * replica would be.
 * <p>
 * Not supported on Redis Cluster, nor with Jedis, nor on a Unix socket: the constructor refuses them
 * with an {@link IllegalStateException}; nor on a static master/replica setup, which the cache would
 * not recognise. Credentials are the factory's user name and password; a
 * credentials provider configured on the Lettuce client is not used. Close the cache when done: it
 * closes its connection.
 */
public final class RedisNearCache implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RedisNearCache.class);

	/** How many keys the cache holds by default: 10,000. */
	public static final int DEFAULT_MAX_ENTRIES = 10_000;

	// How long the cache waits before trying again to open its connection after a failure.
	private static final Duration CONNECT_RETRY = Duration.ofSeconds(5);

	private final RedisClient client;

	private final RedisURI uri;

	private final Clock clock;

	private final int maxEntries;

	private final Duration timeout;

	private final Object lock = new Object();

	// By key, least recently used first; a slot without a record is a read in flight. Guarded by lock.
	private final LinkedHashMap<String, Slot> slots;

	// The completed keys a claim met once, oldest first: the second meeting reads the key. Guarded by lock.
	private final LinkedHashMap<String, Boolean> metOnce;

	// The tracking connection, once opened. Guarded by lock.
	private @Nullable CompletableFuture<StatefulRedisConnection<String, String>> connection;

	// When a failed connection may be tried again, in the clock's milliseconds. Guarded by lock.
	private long connectAfter;

	// Whether the connection tracks: true from CLIENT TRACKING's reply to the next disconnection. Guarded by lock.
	private boolean tracking;

	// Counts disconnections, so a CLIENT TRACKING reply from before one does not count after it. Guarded by lock.
	private long generation;

	// Completes once the connection tracks in the current generation; for tests. Guarded by lock.
	private CompletableFuture<Void> tracked = new CompletableFuture<>();

	// Whether close() was called. Guarded by lock.
	private boolean closed;

	/**
	 * A cache of at most {@link #DEFAULT_MAX_ENTRIES} keys, on the system clock.
	 * @param connectionFactory the store's connection factory, whose Redis the cache tracks
	 */
	public RedisNearCache(RedisConnectionFactory connectionFactory) {
		this(connectionFactory, DEFAULT_MAX_ENTRIES, Clock.systemUTC());
	}

	/**
	 * @param connectionFactory the store's connection factory, whose Redis the cache tracks: Lettuce,
	 * standalone or Sentinel
	 * @param maxEntries the most keys the cache holds, at least 1
	 * @param clock the clock that tells when a record's time to live lapsed: the store's
	 * @throws IllegalStateException on Redis Cluster, with Jedis, or on a Unix socket
	 */
	public RedisNearCache(RedisConnectionFactory connectionFactory, int maxEntries, Clock clock) {
		if (maxEntries < 1) {
			throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
		}
		if (!ClassUtils.isPresent("io.lettuce.core.RedisClient", RedisNearCache.class.getClassLoader())
				|| !(connectionFactory instanceof LettuceConnectionFactory lettuce)) {
			throw new IllegalStateException("The Redis near-cache needs Lettuce (a LettuceConnectionFactory), was "
					+ connectionFactory.getClass().getName());
		}
		if (lettuce.isClusterAware()) {
			throw new IllegalStateException("The Redis near-cache is not supported on Redis Cluster: turn it off "
					+ "(idempotent.redis.near-cache.enabled=false)");
		}
		if (lettuce.getSocketConfiguration() != null) {
			throw new IllegalStateException("The Redis near-cache is not supported on a Unix socket");
		}
		this.clock = Objects.requireNonNull(clock, "clock");
		this.maxEntries = maxEntries;
		LettuceClientConfiguration configuration = lettuce.getClientConfiguration();
		this.timeout = configuration.getCommandTimeout();
		this.uri = uri(lettuce, configuration);
		ClientResources resources = configuration.getClientResources().orElse(null);
		// Resources passed in stay the application's: shutting the client down leaves them running.
		this.client = (resources != null) ? RedisClient.create(resources) : RedisClient.create();
		ClientOptions options = configuration.getClientOptions().orElseGet(ClientOptions::create);
		// RESP3, so invalidations arrive as push messages on this very connection, in order with replies; and
		// reconnecting, since the cache stays off from a disconnection until its connection tracks again.
		this.client.setOptions(options.mutate().protocolVersion(ProtocolVersion.RESP3).autoReconnect(true).build());
		this.client.addListener(new ConnectionStates());
		this.slots = new LinkedHashMap<>(16, 0.75f, true) {

			@Override
			protected boolean removeEldestEntry(Map.Entry<String, Slot> eldest) {
				return size() > RedisNearCache.this.maxEntries;
			}

		};
		this.metOnce = new LinkedHashMap<>(16, 0.75f, false) {

			@Override
			protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
				return size() > RedisNearCache.this.maxEntries;
			}

		};
		synchronized (this.lock) {
			connect();
		}
	}

	/**
	 * The completed record held for the key, if the cache holds one that has not expired and its
	 * connection tracks.
	 */
	@Nullable IdempotencyRecord completed(String key) {
		synchronized (this.lock) {
			if (!this.tracking) {
				return null;
			}
			Slot slot = this.slots.get(key);
			IdempotencyRecord record = (slot != null) ? slot.record : null;
			if (record == null) {
				return null;
			}
			Instant expiresAt = record.expiresAt();
			if (expiresAt != null && !this.clock.instant().isBefore(expiresAt)) {
				this.slots.remove(key);
				return null;
			}
			return record;
		}
	}

	/**
	 * Told that a claim met the key completed: the second time, reads the key on the tracking connection,
	 * without waiting, and keeps its record if it is completed. The first time it only remembers the key
	 * (at most {@code maxEntries} of them, the oldest forgotten first): most duplicates are a client's one
	 * retry, which a read would only make dearer; a second one starts a storm worth caching. Does nothing
	 * when the cache holds the key or reads it already, or does not track.
	 */
	void learn(String key) {
		Slot placeholder = new Slot(null);
		StatefulRedisConnection<String, String> tracker;
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			if (!this.tracking) {
				connect();
				return;
			}
			if (this.slots.containsKey(key)) {
				return;
			}
			if (this.metOnce.remove(key) == null) {
				this.metOnce.put(key, Boolean.TRUE);
				return;
			}
			tracker = Objects.requireNonNull(this.connection).getNow(null);
			if (tracker == null) {
				return;
			}
			this.slots.put(key, placeholder);
		}
		// The time to live counts from before the read, so the record lapses here no later than in Redis.
		Instant sent = this.clock.instant();
		RedisAsyncCommands<String, String> commands = tracker.async();
		CompletableFuture<String> value = commands.get(key).toCompletableFuture();
		RedisFuture<Long> ttl = commands.pttl(key);
		// Replies complete in order on the connection's thread: once the PTTL answered, the GET has.
		ttl.whenComplete((millis, failure) -> install(key, placeholder, value, millis, failure, sent));
	}

	private void install(String key, Slot placeholder, CompletableFuture<String> value, @Nullable Long ttl,
			@Nullable Throwable failure, Instant sent) {
		IdempotencyRecord record = null;
		if (failure == null && ttl != null && ttl != -2 && value.isDone() && !value.isCompletedExceptionally()) {
			record = completedRecord(key, value.getNow(null), ttl, sent);
		}
		synchronized (this.lock) {
			// An invalidation, a disconnection or eviction removed the placeholder: the reply may be stale.
			if (this.slots.get(key) != placeholder) {
				return;
			}
			if (record != null) {
				this.slots.put(key, new Slot(record));
			}
			else {
				this.slots.remove(key);
			}
		}
	}

	// A record completed with its outcome; null for anything else, never an error on the claim's path.
	private static @Nullable IdempotencyRecord completedRecord(String key, @Nullable String value, long ttl,
			Instant sent) {
		if (value == null || !value.startsWith(RedisRecordFormat.COMPLETED)) {
			return null;
		}
		try {
			IdempotencyRecord record = RedisRecordFormat.record(key, List.of(value, ttl), sent);
			return (record != null && record.state() == RecordState.COMPLETED) ? record : null;
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/** Forgets the key here: the store deleted it. */
	void evict(String key) {
		synchronized (this.lock) {
			this.slots.remove(key);
		}
	}

	/** How many keys the cache holds, reads in flight included. */
	int size() {
		synchronized (this.lock) {
			return this.slots.size();
		}
	}

	/**
	 * Waits for one round trip on the tracking connection (opened and tracking first if need be):
	 * once it returns, every invalidation Redis sent before it answered has been applied, and every
	 * read sent before it has been answered. For tests.
	 */
	void awaitRoundTrip() {
		CompletableFuture<StatefulRedisConnection<String, String>> opened;
		synchronized (this.lock) {
			this.connectAfter = 0;
			connect();
			opened = Objects.requireNonNull(this.connection);
		}
		StatefulRedisConnection<String, String> tracker = await(opened);
		await(tracker.async().ping().toCompletableFuture());
		CompletableFuture<Void> tracks;
		synchronized (this.lock) {
			tracks = this.tracked;
		}
		await(tracks);
	}

	/** The id Redis gives the tracking connection ({@code CLIENT ID}). For tests. */
	long trackingClientId() {
		CompletableFuture<StatefulRedisConnection<String, String>> opened;
		synchronized (this.lock) {
			opened = Objects.requireNonNull(this.connection);
		}
		return await(await(opened).async().clientId().toCompletableFuture());
	}

	private <T> T await(CompletableFuture<T> future) {
		try {
			return future.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException("The Redis near-cache's connection failed: " + ex.getCause(), ex.getCause());
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("The Redis near-cache's connection did not answer within " + this.timeout,
					ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for Redis", ex);
		}
	}

	/** Drops every entry and closes the tracking connection. */
	@Override
	public void close() {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			this.tracking = false;
			this.slots.clear();
		}
		this.client.shutdown(Duration.ZERO, this.timeout);
	}

	// Opens the connection unless it is open, opening, or failed too recently. Holds the lock.
	private void connect() {
		if (this.closed || (this.connection != null && !this.connection.isCompletedExceptionally())
				|| this.clock.millis() < this.connectAfter) {
			return;
		}
		this.connection = this.client.connectAsync(StringCodec.UTF8, this.uri).toCompletableFuture().thenApply((opened) -> {
			// Listening before tracking starts, so that no invalidation goes unheard.
			opened.addListener(new Invalidations());
			synchronized (this.lock) {
				if (this.closed) {
					opened.closeAsync();
				}
				else {
					track(opened);
				}
			}
			return opened;
		});
		this.connection.whenComplete((opened, failure) -> {
			if (failure != null) {
				synchronized (this.lock) {
					this.connectAfter = this.clock.millis() + CONNECT_RETRY.toMillis();
				}
				logger.warn("The Redis near-cache could not connect; duplicates go to Redis until it does: {}",
						failure.toString());
			}
		});
	}

	// The tracking connection once opened, else null. Holds the lock.
	private @Nullable StatefulRedisConnection<String, String> tracker() {
		CompletableFuture<StatefulRedisConnection<String, String>> opened = this.connection;
		return (opened != null && !opened.isCompletedExceptionally()) ? opened.getNow(null) : null;
	}

	// Turns tracking on for this connection's current generation. Holds the lock.
	private void track(StatefulRedisConnection<String, String> opened) {
		long current = this.generation;
		CompletableFuture<Void> tracks = this.tracked;
		opened.async().clientTracking(TrackingArgs.Builder.enabled()).whenComplete((reply, failure) -> {
			synchronized (this.lock) {
				if (failure == null && current == this.generation && !this.closed) {
					this.tracking = true;
					tracks.complete(null);
				}
			}
			if (failure != null) {
				logger.warn("The Redis near-cache could not turn on CLIENT TRACKING; duplicates go to Redis: {}",
						failure.toString());
			}
		});
	}

	private static Object decode(ByteBuffer buffer) {
		return StringCodec.UTF8.decodeKey(buffer);
	}

	/** A key's entry: its completed record, or none while its read is in flight. */
	private static final class Slot {

		final @Nullable IdempotencyRecord record;

		Slot(@Nullable IdempotencyRecord record) {
			this.record = record;
		}

	}

	/** Applies Redis's invalidations, on the connection's thread, in order with the replies. */
	private final class Invalidations implements PushListener {

		@Override
		public void onPushMessage(PushMessage message) {
			if (!"invalidate".equals(message.getType())) {
				return;
			}
			List<Object> content = message.getContent(RedisNearCache::decode);
			Object keys = (content.size() > 1) ? content.get(1) : null;
			synchronized (RedisNearCache.this.lock) {
				if (keys instanceof List<?> invalidated) {
					invalidated.forEach((key) -> RedisNearCache.this.slots.remove(String.valueOf(key)));
				}
				else {
					// No key list: Redis flushed (FLUSHALL, FLUSHDB) or its tracking table overflowed.
					RedisNearCache.this.slots.clear();
				}
			}
		}

	}

	/**
	 * Drops everything when the connection goes down, since Redis forgot what it tracked for it, and
	 * tracks again once it is back.
	 */
	private final class ConnectionStates implements RedisConnectionStateListener {

		@Override
		public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
			synchronized (RedisNearCache.this.lock) {
				// Other connections of the client come and go: the ones that ask Sentinel for the master.
				if (handler != tracker()) {
					return;
				}
				RedisNearCache.this.tracking = false;
				RedisNearCache.this.generation++;
				RedisNearCache.this.slots.clear();
				if (RedisNearCache.this.tracked.isDone()) {
					RedisNearCache.this.tracked = new CompletableFuture<>();
				}
			}
		}

		@Override
		public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
			synchronized (RedisNearCache.this.lock) {
				StatefulRedisConnection<String, String> tracker = tracker();
				// The first connection tracks once it is opened; a reconnected one, here.
				if (tracker != null && tracker == handler && !RedisNearCache.this.closed) {
					track(tracker);
				}
			}
		}

	}

	/** The Redis of the factory, as a Lettuce URI: host or Sentinel master, database, credentials, TLS. */
	private static RedisURI uri(LettuceConnectionFactory factory, LettuceClientConfiguration configuration) {
		RedisURI uri;
		if (factory.isRedisSentinelAware()) {
			RedisSentinelConfiguration sentinel = Objects.requireNonNull(factory.getSentinelConfiguration());
			RedisURI.Builder builder = RedisURI.builder();
			builder.withSentinelMasterId(sentinel.getRequiredMaster().getName());
			for (RedisNode node : sentinel.getSentinels()) {
				RedisURI.Builder sentinelUri = RedisURI.Builder.redis(Objects.requireNonNull(node.getHost()),
						Objects.requireNonNull(node.getPort()));
				credentials(sentinelUri, sentinel.getSentinelUsername(), sentinel.getSentinelPassword());
				builder.withSentinel(sentinelUri.build());
			}
			credentials(builder, sentinel.getUsername(), sentinel.getPassword());
			builder.withDatabase(sentinel.getDatabase());
			uri = builder.build();
		}
		else {
			// The factory's getters read the configuration it was given, whatever its constructor; the user
			// name only the standalone configuration holds (Spring Boot's factory is built on one).
			RedisURI.Builder builder = RedisURI.Builder.redis(factory.getHostName(), factory.getPort());
			credentials(builder, factory.getStandaloneConfiguration().getUsername(),
					RedisPassword.of(factory.getPassword()));
			builder.withDatabase(factory.getDatabase());
			uri = builder.build();
		}
		uri.setSsl(configuration.isUseSsl());
		uri.setVerifyPeer(configuration.getVerifyMode());
		uri.setStartTls(configuration.isStartTls());
		uri.setTimeout(configuration.getCommandTimeout());
		configuration.getClientName().ifPresent((name) -> uri.setClientName(name + "-near-cache"));
		return uri;
	}

	private static void credentials(RedisURI.Builder builder, @Nullable String username, RedisPassword password) {
		if (password.isPresent()) {
			if (username != null) {
				builder.withAuthentication(username, password.get());
			}
			else {
				builder.withPassword(password.get());
			}
		}
	}

}
