package dev.vmsup.supervisor.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

/**
 * Enforces {@link ApiLimits} on the event loop: a connection over the cap is closed at once; one that has not
 * delivered a whole request within the request timeout of opening (slow or absent headers) or of its request's start
 * (slow body) is closed; the idle timeout itself is Vert.x's.
 */
final class ConnectionGuard {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final Vertx vertx;
    private final ApiLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    /** Connections whose first request has not arrived yet, with the timer that closes them. */
    private final Map<HttpConnection, Long> firstRequestTimers = new ConcurrentHashMap<>();

    ConnectionGuard(Vertx vertx, ApiLimits limits) {
        this.vertx = vertx;
        this.limits = limits;
    }

    /** For {@code HttpServer.connectionHandler}. */
    void opened(HttpConnection connection) {
        if (open.incrementAndGet() > limits.maxConnections()) {
            LOG.warn("API connection refused: the limit of {} open connections is reached", limits.maxConnections());
            connection.closeHandler(v -> open.decrementAndGet());
            connection.close();
            return;
        }
        firstRequestTimers.put(connection, vertx.setTimer(limits.requestTimeout().toMillis(), id -> connection.close()));
        connection.closeHandler(v -> {
            open.decrementAndGet();
            Long timer = firstRequestTimers.remove(connection);
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
        });
    }

    /** A request's headers arrived: the connection's opening timer stops, the request's own body timer starts. */
    long started(HttpServerRequest req) {
        Long first = firstRequestTimers.remove(req.connection());
        if (first != null) {
            vertx.cancelTimer(first);
        }
        return vertx.setTimer(limits.requestTimeout().toMillis(), id -> req.connection().close());
    }

    /** The request has fully arrived. */
    void ended(long timer) {
        vertx.cancelTimer(timer);
    }
}
