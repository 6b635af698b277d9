package dev.vmsup.qmp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;

import dev.vmsup.json.JsonTrees;

/**
 * An asynchronous QMP client over a unix socket: greeting and capability negotiation, commands matched to
 * replies by id, typed errors, events with filters and waiters, per-call timeouts. Thread-safe; handlers run
 * on the connection's Vert.x event loop.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpClient.class);

    private final Vertx vertx;
    private final NetClient net;
    private final QmpOptions options;
    private final JsonLineChannel channel;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong();
    private final Promise<QmpGreeting> greeting = Promise.promise();
    private final Promise<Void> closed = Promise.promise();
    private volatile QmpGreeting negotiated;
    private volatile boolean oob;

    private record Pending(String command, Promise<JsonNode> promise, long timerId) {
    }

    private record Subscriber(String name, Predicate<JsonNode> filter, Handler<QmpEvent> handler,
            Consumer<QmpException> onClose) {
        boolean matches(QmpEvent e) {
            return (name == null || name.equals(e.name())) && (filter == null || filter.test(e.data()));
        }
    }

    private QmpClient(Vertx vertx, NetClient net, io.vertx.core.net.NetSocket socket, QmpOptions options) {
        this.vertx = vertx;
        this.net = net;
        this.options = options;
        this.channel = new JsonLineChannel(socket, options.maxLineBytes(), this::onMessage);
        this.channel.onClose(this::onClose);
    }

    /**
     * Connects once: reads the greeting and negotiates capabilities; the future completes when commands can be
     * sent. The connect runs on an event loop so the socket's handlers are in place before its first byte is read
     * (QEMU greets at once).
     */
    public static Future<QmpClient> connect(Vertx vertx, Path socket, QmpOptions options) {
        Promise<QmpClient> result = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> {
            NetClient net = vertx.createNetClient(new NetClientOptions()
                    .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.commandTimeout().toMillis())));
            net.connect(SocketAddress.domainSocketAddress(socket.toString()))
                    .recover(e -> {
                        net.close();
                        return Future.failedFuture(new QmpDisconnectedException("cannot connect to QMP socket " + socket
                                + ": " + e.getMessage(), e));
                    })
                    .compose(s -> new QmpClient(vertx, net, s, options).handshake())
                    .onComplete(result);
        });
        return result.future();
    }

    /**
     * Connects while QEMU may still be creating its socket: retries refused or missing sockets with bounded
     * exponential backoff (Resilience4j Retry) until {@link QmpOptions#connectDeadline()} (TimeLimiter). A peer
     * that answers but breaks the protocol is not retried.
     */
    public static Future<QmpClient> connectWithRetry(Vertx vertx, Path socket, QmpOptions options) {
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(Integer.MAX_VALUE)
                .intervalFunction(new ConnectBackoff(options.connectFirstBackoff(), options.connectMaxBackoff()))
                .retryOnException(e -> !(unwrap(e) instanceof QmpProtocolException)
                        && !(unwrap(e) instanceof QmpErrorException))
                .build();
        Retry retry = Retry.of("qmp-connect " + socket, config);
        TimeLimiter limiter = TimeLimiter.of(TimeLimiterConfig.custom()
                .timeoutDuration(options.connectDeadline()).cancelRunningFuture(true).build());
        CompletableFuture<QmpClient> attempts = Retry.decorateCompletionStage(retry, Schedulers.get(),
                () -> attempt(vertx, socket, options).toCompletionStage()).get().toCompletableFuture();
        CompletionStage<QmpClient> limited = limiter.executeCompletionStage(Schedulers.get(), () -> attempts)
                .exceptionally(e -> {
                    // a connection that completes after the deadline must not leak
                    attempts.thenAccept(QmpClient::close);
                    Throwable cause = unwrap(e);
                    if (cause instanceof QmpException qe && !(cause instanceof QmpDisconnectedException)) {
                        throw qe;
                    }
                    throw new QmpDisconnectedException("QMP socket " + socket + " not ready within "
                            + options.connectDeadline().toMillis() + " ms: " + cause.getMessage(), cause);
                });
        return Future.fromCompletionStage(limited).recover(e -> Future.failedFuture(unwrap(e)));
    }

    /**
     * One connect attempt; while the socket file does not exist yet, a failure at the cost of a stat, not of a
     * client, a channel and a refused connect: attempts can then come close together.
     */
    private static Future<QmpClient> attempt(Vertx vertx, Path socket, QmpOptions options) {
        if (!Files.exists(socket)) {
            return Future.failedFuture(new QmpDisconnectedException("QMP socket " + socket + " does not exist yet", null));
        }
        return connect(vertx, socket, options);
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof java.util.concurrent.CompletionException
                || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private Future<QmpClient> handshake() {
        long timer = vertx.setTimer(options.commandTimeout().toMillis(), t -> channel.fail(
                new QmpProtocolException("no QMP greeting within " + options.commandTimeout().toMillis() + " ms")));
        return greeting.future().compose(g -> {
            vertx.cancelTimer(timer);
            boolean wantOob = options.requestOob() && g.capabilities().contains("oob");
            ObjectNode args = JsonTrees.object();
            if (wantOob) {
                args.putArray("enable").add("oob");
            }
            return execute("qmp_capabilities", args).map(r -> {
                negotiated = g;
                oob = wantOob;
                return this;
            });
        }).onFailure(e -> {
            vertx.cancelTimer(timer);
            channel.fail(e instanceof QmpException qe ? qe : new QmpProtocolException(e.getMessage(), e));
        });
    }

    /** The greeting QEMU sent (version and offered capabilities). */
    public QmpGreeting greeting() {
        return negotiated;
    }

    /** True if out-of-band execution was requested and enabled. */
    public boolean oobEnabled() {
        return oob;
    }

    public Future<JsonNode> execute(String command) {
        return execute(command, null, options.commandTimeout());
    }

    public Future<JsonNode> execute(String command, ObjectNode arguments) {
        return execute(command, arguments, options.commandTimeout());
    }

    /** Sends {@code command}; the future holds its {@code return} value or a {@link QmpException}. */
    public Future<JsonNode> execute(String command, ObjectNode arguments, Duration timeout) {
        return send("execute", command, arguments, timeout);
    }

    /** Sends {@code command} as {@code exec-oob}; fails unless OOB was negotiated. */
    public Future<JsonNode> executeOob(String command, ObjectNode arguments, Duration timeout) {
        if (!oob) {
            return Future.failedFuture(new QmpException("out-of-band execution was not negotiated"));
        }
        return send("exec-oob", command, arguments, timeout);
    }

    private Future<JsonNode> send(String verb, String command, ObjectNode arguments, Duration timeout) {
        QmpException cause = channel.closeCause();
        if (cause != null) {
            return Future.failedFuture(disconnected(command, cause));
        }
        String id = "vmsup-" + nextId.incrementAndGet();
        Promise<JsonNode> promise = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
            Pending p = pending.remove(id);
            if (p != null) {
                p.promise().tryFail(new QmpTimeoutException("QMP " + command, timeout));
            }
        });
        pending.put(id, new Pending(command, promise, timer));
        if (channel.isClosed()) {
            failPending(id, disconnected(command, channel.closeCause()));
            return promise.future();
        }
        ObjectNode message = JsonTrees.object();
        message.put(verb, command);
        if (arguments != null && !arguments.isEmpty()) {
            message.set("arguments", arguments);
        }
        message.put("id", id);
        channel.send(message).onFailure(e -> failPending(id,
                e instanceof QmpException qe ? qe : new QmpDisconnectedException("cannot send " + command, e)));
        return promise.future();
    }

    private static QmpDisconnectedException disconnected(String command, QmpException cause) {
        return new QmpDisconnectedException("QMP connection is closed; " + command + " got no reply ("
                + cause.getMessage() + ")", cause);
    }

    private void failPending(String id, QmpException e) {
        Pending p = pending.remove(id);
        if (p != null) {
            vertx.cancelTimer(p.timerId());
            p.promise().tryFail(e);
        }
    }

    private void onMessage(ObjectNode m) {
        if (m.has("QMP")) {
            onGreeting(m.get("QMP"));
        } else if (m.has("event")) {
            onEvent(m);
        } else if (m.has("return") || m.has("error")) {
            onReply(m);
        } else {
            LOG.warn("QMP message of unknown kind dropped: {}", m);
        }
    }

    private void onGreeting(JsonNode qmp) {
        try {
            QmpVersion version = QmpVersion.of(qmp.get("version"));
            List<String> caps = new ArrayList<>();
            qmp.path("capabilities").forEach(c -> caps.add(c.asText()));
            if (version == null || version.qemu() == null) {
                throw new IllegalArgumentException("no version");
            }
            greeting.tryComplete(new QmpGreeting(version, caps));
        } catch (Exception e) {
            channel.fail(new QmpProtocolException("malformed QMP greeting: " + qmp, e));
        }
    }

    private void onReply(ObjectNode m) {
        JsonNode idNode = m.get("id");
        Pending p = idNode == null ? null : pending.remove(idNode.asText());
        if (p == null) {
            LOG.warn("QMP reply with unknown id {} dropped: {}", idNode, m);
            return;
        }
        vertx.cancelTimer(p.timerId());
        if (m.has("error")) {
            JsonNode err = m.get("error");
            p.promise().tryFail(new QmpErrorException(p.command(), err.path("class").asText("GenericError"),
                    err.path("desc").asText("")));
        } else {
            p.promise().tryComplete(m.get("return"));
        }
    }

    private void onEvent(ObjectNode m) {
        JsonNode data = m.has("data") ? m.get("data") : JsonTrees.object();
        JsonNode ts = m.path("timestamp");
        QmpEvent event = new QmpEvent(m.get("event").asText(), data, ts.path("seconds").asLong(),
                ts.path("microseconds").asLong());
        for (Subscriber s : subscribers) {
            if (s.matches(event)) {
                try {
                    s.handler().handle(event);
                } catch (RuntimeException e) {
                    LOG.warn("QMP event handler for {} failed", event.name(), e);
                }
            }
        }
    }

    private void onClose(QmpException cause) {
        greeting.tryFail(cause);
        for (String id : List.copyOf(pending.keySet())) {
            Pending p = pending.get(id);
            failPending(id, disconnected(p == null ? "command" : p.command(), cause));
        }
        for (Subscriber s : subscribers) {
            if (s.onClose() != null) {
                s.onClose().accept(cause);
            }
        }
        subscribers.clear();
        closed.tryComplete();
        net.close();
    }

    /**
     * Calls {@code handler} for every event named {@code name} (null: every event) whose data passes
     * {@code filter} (null: all).
     */
    public Subscription subscribe(String name, Predicate<JsonNode> filter, Handler<QmpEvent> handler) {
        Subscriber s = new Subscriber(name, filter, handler, null);
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }

    /**
     * Waits for one event. Registered at once, so a waiter created before issuing a command cannot miss the
     * event that command causes. Fails with {@link QmpTimeoutException}, or {@link QmpDisconnectedException} when
     * the connection ends first.
     */
    public Future<QmpEvent> waitForEvent(String name, Predicate<JsonNode> filter, Duration timeout) {
        Promise<QmpEvent> promise = Promise.promise();
        Subscriber[] self = new Subscriber[1];
        long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
            subscribers.remove(self[0]);
            promise.tryFail(new QmpTimeoutException("waiting for event " + (name == null ? "(any)" : name), timeout));
        });
        self[0] = new Subscriber(name, filter, e -> {
            subscribers.remove(self[0]);
            vertx.cancelTimer(timer);
            promise.tryComplete(e);
        }, cause -> {
            vertx.cancelTimer(timer);
            promise.tryFail(new QmpDisconnectedException("connection closed while waiting for event " + name, cause));
        });
        subscribers.add(self[0]);
        QmpException cause = channel.closeCause();
        if (cause != null) {
            subscribers.remove(self[0]);
            vertx.cancelTimer(timer);
            promise.tryFail(new QmpDisconnectedException("QMP connection is closed", cause));
        }
        return promise.future();
    }

    /** Completes when the connection has ended, for whatever reason. */
    public Future<Void> closeFuture() {
        return closed.future();
    }

    /** Why the connection ended, or null while it is open. */
    public QmpException closeCause() {
        return channel.closeCause();
    }

    public boolean isOpen() {
        return !channel.isClosed();
    }

    /** Closes the connection; pending calls fail with {@link QmpDisconnectedException}. */
    @Override
    public void close() {
        channel.fail(new QmpDisconnectedException("QMP connection closed by the client", null));
    }
}
