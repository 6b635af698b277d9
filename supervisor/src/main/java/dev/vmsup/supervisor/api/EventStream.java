package dev.vmsup.supervisor.api;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.sandbox.SandboxEvent;

/**
 * One client of {@code GET /v1/events}: newline-delimited JSON, one object per event, for as long as the client
 * stays. Events are queued onto the connection's event loop; a client that leaves {@link #MAX_PENDING} lines
 * unwritten gets a last {@code {"type": "overflow"}} line and is cut off, so a slow reader never holds up the
 * sandbox. A heartbeat line every 15 s keeps a quiet stream inside the API's idle limit.
 */
final class EventStream {
    static final int MAX_PENDING = 256;
    private static final long HEARTBEAT_MS = 15_000;

    private final HttpServerResponse response;
    private final HttpConnection connection;
    private final Context context;
    private final Vertx vertx;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Consumer<EventStream> onStop;
    private AutoCloseable subscription;
    private long heartbeat;

    private EventStream(HttpServerRequest req, Context context, Vertx vertx, Consumer<EventStream> onStop) {
        this.response = req.response();
        this.connection = req.connection();
        this.context = context;
        this.vertx = vertx;
        this.onStop = onStop;
    }

    /** Starts streaming {@code sandbox}'s events to {@code req}'s client (on its event loop); {@code onStop} at the end. */
    static EventStream open(HttpServerRequest req, Sandbox sandbox, Consumer<EventStream> onStop) {
        Context context = Vertx.currentContext();
        EventStream s = new EventStream(req, context, context.owner(), onStop);
        s.response.setChunked(true).putHeader("Content-Type", "application/x-ndjson").setStatusCode(200);
        req.connection().closeHandler(v -> s.stop());
        s.queue(Json.event(SandboxEvent.of("subscribed", "state", sandbox.snapshot().state().name().toLowerCase(),
                "vcpus", sandbox.snapshot().vcpus().size())));
        s.subscription = sandbox.feed().subscribe(e -> s.queue(Json.event(e)));
        s.heartbeat = s.vertx.setPeriodic(HEARTBEAT_MS, id -> s.queue(Json.event(SandboxEvent.of("heartbeat"))));
        return s;
    }

    /** Any thread: queues one line, or cuts the client off when it has fallen too far behind. */
    private void queue(ObjectNode line) {
        if (closed.get()) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            context.runOnContext(v -> {
                write(Json.event(SandboxEvent.of("overflow", "message", "this client fell " + MAX_PENDING
                        + " events behind and is cut off; reconnect and read GET /v1/sandbox")));
                finish();
            });
            return;
        }
        context.runOnContext(v -> write(line));
    }

    private void write(ObjectNode line) {
        if (closed.get()) {
            return;
        }
        try {
            response.write(JsonTrees.write(line) + "\n").onComplete(r -> pending.decrementAndGet());
        } catch (IllegalStateException e) {
            stop();
        }
    }

    /** Ends the stream after what is queued (the API is closing or the client was cut off). */
    void finish() {
        context.runOnContext(v -> {
            if (stop()) {
                try {
                    // the end of the stream is the end of the connection: a cut-off client sees EOF at once
                    response.end().onComplete(done -> connection.close());
                } catch (IllegalStateException alreadyGone) {
                    // the client left first
                }
            }
        });
    }

    /** Stops delivering; true the first time. */
    private boolean stop() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        vertx.cancelTimer(heartbeat);
        onStop.accept(this);
        try {
            if (subscription != null) {
                subscription.close();
            }
        } catch (Exception ignored) {
            // removing a subscriber cannot fail
        }
        return true;
    }
}
