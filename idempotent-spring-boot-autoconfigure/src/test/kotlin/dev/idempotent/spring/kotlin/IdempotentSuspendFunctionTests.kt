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
package dev.idempotent.spring.kotlin

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

import dev.idempotent.spring.Idempotent
import dev.idempotent.test.servers.HttpExchange
import dev.idempotent.test.servers.TestRedis
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.assertThatExceptionOfType
import org.junit.jupiter.api.Test

import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.SpringBootConfiguration
import org.springframework.boot.autoconfigure.EnableAutoConfiguration
import org.springframework.boot.test.context.SpringBootTest
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment
import org.springframework.boot.test.web.server.LocalServerPort
import org.springframework.context.annotation.Bean
import org.springframework.http.HttpStatus
import org.springframework.test.context.DynamicPropertyRegistry
import org.springframework.test.context.DynamicPropertySource
import org.springframework.web.bind.annotation.PostMapping
import org.springframework.web.bind.annotation.RequestBody
import org.springframework.web.bind.annotation.RequestHeader
import org.springframework.web.bind.annotation.ResponseStatus
import org.springframework.web.bind.annotation.RestController

/**
 * `@Idempotent` on Kotlin `suspend` functions: a service method called from coroutines, and a WebFlux
 * handler over real HTTP on a Reactor Netty server, both against a real Redis.
 */
@SpringBootTest(
	classes = [IdempotentSuspendFunctionTests.App::class],
	webEnvironment = WebEnvironment.RANDOM_PORT,
	properties = ["spring.main.web-application-type=reactive"],
)
class IdempotentSuspendFunctionTests {

	companion object {

		@JvmStatic
		@DynamicPropertySource
		fun redis(registry: DynamicPropertyRegistry) {
			registry.add("spring.data.redis.host") { TestRedis.endpoint().host() }
			registry.add("spring.data.redis.port") { TestRedis.endpoint().port() }
			registry.add("idempotent.key-prefix") { "suspend-test-" + UUID.randomUUID() + ":" }
		}

	}

	@Autowired
	private lateinit var payments: Payments

	@Autowired
	private lateinit var orders: Orders

	@LocalServerPort
	private var port: Int = 0

	private val client: HttpClient = HttpClient.newHttpClient()

	@Test
	fun `a suspend function runs once and its duplicate gets the same value back`(): Unit = runBlocking {
		val key = newKey()
		val first = payments.pay(key, 10)
		val again = payments.pay(key, 10)
		assertThat(first).isEqualTo(Receipt(key, 10))
		assertThat(again).isEqualTo(first).isInstanceOf(Receipt::class.java)
		assertThat(payments.executions(key)).isEqualTo(1)
	}

	@Test
	fun `thirty-two concurrent coroutines with one key run it once and all get the value`(): Unit = runBlocking {
		val key = newKey()
		val receipts = (1..32).map { async { payments.pay(key, 3) } }.awaitAll()
		assertThat(receipts).hasSize(32).containsOnly(Receipt(key, 3))
		assertThat(payments.executions(key)).isEqualTo(1)
	}

	@Test
	fun `a kept failure is thrown again to the duplicate without running it again`() {
		val key = newKey()
		repeat(2) {
			assertThatExceptionOfType(Declined::class.java)
				.isThrownBy { runBlocking { payments.charge(key) } }
				.withMessage("card declined")
		}
		assertThat(payments.executions(key)).isEqualTo(1)
	}

	@Test
	fun `a suspend WebFlux handler replays the first answer with the replay header`() {
		val key = newKey()
		val first = post(key, """{"sku":"book","quantity":2}""")
		val retry = post(key, """{ "quantity": 2, "sku": "book" }""")
		assertThat(first.statusCode()).isEqualTo(201)
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty
		assertThat(retry.statusCode()).isEqualTo(201)
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true")
		assertThat(retry.body()).isEqualTo(first.body())
		assertThat(orders.executions(key)).isEqualTo(1)
	}

	@Test
	fun `a suspend WebFlux handler without a key is answered 400 and does not run`() {
		val response = post(null, """{"sku":"book","quantity":2}""")
		assertThat(response.statusCode()).isEqualTo(400)
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json")
		assertThat(response.body()).contains("urn:idempotent:problem:missing-key")
		assertThat(orders.executions("none")).isZero()
	}

	private fun post(key: String?, body: String): HttpResponse<String> {
		val request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:$port/orders"))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
		if (key != null) {
			request.header("Idempotency-Key", key)
		}
		return HttpExchange.send(client, request.build())
	}

	private fun newKey() = "key-" + UUID.randomUUID()

	data class Receipt(val key: String, val amount: Int)

	data class CreateOrder(val sku: String, val quantity: Int)

	data class Order(val id: String, val sku: String, val quantity: Int)

	class Declined(message: String) : RuntimeException(message)

	@SpringBootConfiguration
	@EnableAutoConfiguration
	open class App {

		@Bean
		open fun payments() = Payments()

		@Bean
		open fun orders() = Orders()

	}

	open class Payments {

		private val executions = ConcurrentHashMap<String, AtomicInteger>()

		@Idempotent(name = "pay", key = "#key", awaitCompletion = "30s")
		open suspend fun pay(key: String, amount: Int): Receipt {
			executed(key)
			delay(100)
			return Receipt(key, amount)
		}

		@Idempotent(name = "charge", key = "#key", keepOn = [Declined::class])
		open suspend fun charge(key: String): Receipt {
			executed(key)
			delay(10)
			throw Declined("card declined")
		}

		private fun executed(key: String) {
			executions.computeIfAbsent(key) { AtomicInteger() }.incrementAndGet()
		}

		open fun executions(key: String): Int = executions[key]?.get() ?: 0

	}

	@RestController
	open class Orders {

		private val executions = ConcurrentHashMap<String, AtomicInteger>()

		@PostMapping("/orders")
		@ResponseStatus(HttpStatus.CREATED)
		@Idempotent(name = "orders")
		open suspend fun create(
			@RequestBody request: CreateOrder,
			@RequestHeader(name = "Idempotency-Key", required = false) key: String?,
		): Order {
			executions.computeIfAbsent(key ?: "none") { AtomicInteger() }.incrementAndGet()
			delay(10)
			return Order(UUID.randomUUID().toString(), request.sku, request.quantity)
		}

		open fun executions(key: String): Int = executions[key]?.get() ?: 0

	}

}
