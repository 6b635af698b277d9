package dev.vmsup.supervisor.api;

import static dev.vmsup.supervisor.api.Replies.error;
import static dev.vmsup.supervisor.api.Replies.json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.ContainerId;
import dev.vmsup.supervisor.process.Posix;
import dev.vmsup.supervisor.resources.ContainersFile;
import dev.vmsup.supervisor.sandbox.ResizeException;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.sandbox.SandboxSnapshot;

/**
 * The control API: HTTP/1.1 + JSON on a unix socket (mode 0600), for the one sandbox this vmsup runs. Peers whose
 * uid is neither root nor vmsup's own are refused (SO_PEERCRED). The contract is {@code docs/openapi.json}.
 * Operations that change the VM run one at a time on a worker thread: a second resize waits for the first.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** Largest request body accepted; larger is 413. */
    static final int MAX_BODY = 64 * 1024;

    /** Every route, as "METHOD path" with {name} for parameters; the OpenAPI file must list exactly these. */
    public static final List<String> ROUTES = List.of(
            "GET /v1/sandbox",
            "PUT /v1/sandbox/vcpus",
            "PUT /v1/sandbox/actions",
            "GET /v1/containers",
            "PUT /v1/containers/{cid}",
            "DELETE /v1/containers/{cid}",
            "GET /v1/stats",
            "GET /v1/overhead",
            "GET /v1/events",
            "GET /metrics");

    private final Sandbox sandbox;
    private final UsageRoutes usage;
    private final Path socket;
    private final Metrics metrics;
    private final ExecutorService operations = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vmsup-api-ops");
        t.setDaemon(true);
        return t;
    });
    private final ConnectionGuard guard;
    private final List<EventStream> streams = new java.util.concurrent.CopyOnWriteArrayList<>();
    private HttpServer server;

    private ApiServer(Sandbox sandbox, Metrics metrics, Path socket, ConnectionGuard guard) {
        this.sandbox = sandbox;
        this.usage = new UsageRoutes(sandbox);
        this.socket = socket;
        this.metrics = metrics;
        this.guard = guard;
    }

    /**
     * Serves {@code sandbox} on {@code socket} (created with mode 0600) from {@code vertx}'s event loop;
     * {@code metrics} answers {@code GET /metrics}.
     */
    public static ApiServer start(Vertx vertx, Sandbox sandbox, Metrics metrics, Path socket) {
        return start(vertx, sandbox, metrics, socket, ApiLimits.DEFAULTS);
    }

    /** As {@link #start(Vertx, Sandbox, Metrics, Path)} with other connection limits. */
    public static ApiServer start(Vertx vertx, Sandbox sandbox, Metrics metrics, Path socket, ApiLimits limits) {
        if (Files.exists(socket)) {
            throw new SupervisorException("API socket " + socket + " already exists");
        }
        ApiServer api = new ApiServer(sandbox, metrics, socket, new ConnectionGuard(vertx, limits));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                .setMaxInitialLineLength(4096).setMaxHeaderSize(16 * 1024).setHttp2ClearTextEnabled(false)
                .setIdleTimeout((int) limits.idleTimeout().toMillis()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                // no WebSocket routes: offering no compression spares every connection an extension handler
                .setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false));
        server.connectionHandler(api.guard::opened);
        server.requestHandler(api::handle);
        // listen on a private name and rename once the server accepts: a client can never reach a socket whose
        // server is not ready yet (an early connection used to be dropped while Vert.x set up its acceptor)
        Path listening = socket.resolveSibling(socket.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        int old = Posix.umask(0077);
        try {
            Files.deleteIfExists(listening);
            api.server = server.listen(SocketAddress.domainSocketAddress(listening.toString()))
                    .await(java.time.Duration.ofSeconds(10));
            Files.setPosixFilePermissions(listening, PosixFilePermissions.fromString("rw-------"));
            Files.move(listening, socket, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            api.close();
            try {
                Files.deleteIfExists(listening);
            } catch (IOException ignored) {
                // reported below
            }
            throw new SupervisorException("cannot listen on API socket " + socket, e);
        } finally {
            Posix.umask(old);
        }
        LOG.info("control API on {}", socket);
        return api;
    }

    /** Warms the resize path up once on the operations thread, which it starts: see {@link WarmUp}. */
    public void warmUp() {
        WarmUp.start(sandbox, socket, operations);
    }

    public Path socket() {
        return socket;
    }

    private void handle(HttpServerRequest req) {
        long bodyTimer = guard.started(req);
        ApiException early = refusedBeforeTheBody(req);
        if (early != null) {
            guard.ended(bodyTimer);
            error(req, early);
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] tooLarge = {false};
        req.handler(chunk -> {
            if (body.length() + chunk.length() > MAX_BODY) {
                tooLarge[0] = true;
            } else if (!tooLarge[0]) {
                body.appendBuffer(chunk);
            }
        });
        req.endHandler(v -> {
            guard.ended(bodyTimer);
            if (tooLarge[0]) {
                error(req, new ApiException(413, "too_large", "request body over " + MAX_BODY + " bytes"));
                return;
            }
            try {
                route(req, body.toString());
            } catch (RuntimeException e) {
                error(req, ApiErrors.translate(e));
            }
        });
    }

    /** A peer that may not use the API, or a Content-Length that is not a number or too large; else null. */
    private static ApiException refusedBeforeTheBody(HttpServerRequest req) {
        String user = PeerCredentials.user(req.connection());
        if (!PeerCredentials.allowed(user)) {
            LOG.warn("API request from user {} refused", user);
            return new ApiException(403, "forbidden", "only root or the supervisor's user may use this API");
        }
        String length = req.getHeader("Content-Length");
        if (length != null && (length.isEmpty() || !length.chars().allMatch(Character::isDigit))) {
            return ApiException.badRequest("Content-Length must be a number of bytes");
        }
        if (length != null && (length.length() > 9 || Long.parseLong(length) > MAX_BODY)) {
            return new ApiException(413, "too_large", "request body over " + MAX_BODY + " bytes");
        }
        return null;
    }

    private void route(HttpServerRequest req, String body) {
        String path = req.path();
        HttpMethod m = req.method();
        switch (path) {
            case "/v1/sandbox" -> only(req, m, HttpMethod.GET, () -> json(req, 200, Json.sandbox(sandbox.snapshot())));
            case "/v1/sandbox/vcpus" -> only(req, m, HttpMethod.PUT, () -> resize(req, body));
            case "/v1/sandbox/actions" -> only(req, m, HttpMethod.PUT, () -> action(req, body));
            case "/v1/containers" -> only(req, m, HttpMethod.GET,
                    () -> json(req, 200, Json.containers(sandbox.snapshot().containers())));
            case "/v1/stats" -> only(req, m, HttpMethod.GET, () -> usage.stats(req));
            case "/v1/overhead" -> only(req, m, HttpMethod.GET, () -> usage.overhead(req));
            case "/v1/events" -> only(req, m, HttpMethod.GET, () -> streams.add(EventStream.open(req, sandbox, streams::remove)));
            case "/metrics" -> only(req, m, HttpMethod.GET, () -> req.response()
                    .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
            default -> {
                if (path.startsWith("/v1/containers/") && path.indexOf('/', "/v1/containers/".length()) < 0) {
                    String cid = path.substring("/v1/containers/".length());
                    if (m == HttpMethod.PUT) {
                        putContainer(req, cid, body);
                    } else if (m == HttpMethod.DELETE) {
                        deleteContainer(req, cid);
                    } else {
                        notAllowed(req, "PUT, DELETE");
                    }
                } else {
                    error(req, new ApiException(404, "no_route", "no route " + path));
                }
            }
        }
    }

    private void only(HttpServerRequest req, HttpMethod actual, HttpMethod allowed, Runnable action) {
        if (actual != allowed) {
            notAllowed(req, allowed.name());
        } else {
            action.run();
        }
    }

    private void notAllowed(HttpServerRequest req, String allow) {
        req.response().putHeader("Allow", allow);
        error(req, new ApiException(405, "method_not_allowed", req.method() + " is not allowed on " + req.path()));
    }

    private void resize(HttpServerRequest req, String body) {
        ObjectNode o = Json.object(body, Set.of("count"));
        JsonNode count = o.get("count");
        if (count == null || !count.isIntegralNumber() || !count.canConvertToInt()) {
            throw ApiException.badRequest("'count' must be an integer");
        }
        int n = count.asInt(); // its range is the sandbox's to check
        blocking(req, () -> {
            sandbox.resize(n);
            return Json.vcpus(sandbox.snapshot());
        }, 200);
    }

    private void action(HttpServerRequest req, String body) {
        ObjectNode o = Json.object(body, Set.of("action"));
        String action = o.path("action").isTextual() ? o.get("action").asText() : "";
        switch (action) {
            case "pause" -> blocking(req, () -> {
                sandbox.pause();
                return Json.sandbox(sandbox.snapshot());
            }, 200);
            case "resume" -> blocking(req, () -> {
                sandbox.resume();
                return Json.sandbox(sandbox.snapshot());
            }, 200);
            case "shutdown" -> {
                if (sandbox.stopping()) {
                    throw new ApiException(409, "wrong_state", "the sandbox is already stopping");
                }
                sandbox.requestStop("shutdown requested through the API");
                ObjectNode accepted = JsonTrees.object().put("state", "stopping");
                json(req, 202, accepted);
            }
            default -> throw ApiException.badRequest("'action' must be pause, resume or shutdown");
        }
    }

    private void putContainer(HttpServerRequest req, String cid, String body) {
        new ContainerId(cid);
        var resources = ContainersFile.parseResources(body.isBlank() ? "{}" : body);
        boolean existed = sandbox.snapshot().containers().containsKey(cid);
        blocking(req, () -> {
            sandbox.putContainer(cid, resources);
            SandboxSnapshot now = sandbox.snapshot();
            ObjectNode o = JsonTrees.object();
            o.set("container", Json.container(resources));
            o.set("resources", Json.resources(now.resourcesInForce()));
            o.set("vcpus", Json.vcpus(now));
            return o;
        }, existed ? 200 : 201);
    }

    private void deleteContainer(HttpServerRequest req, String cid) {
        new ContainerId(cid);
        blocking(req, () -> {
            if (!sandbox.removeContainer(cid)) {
                throw new ApiException(404, "not_found", "no container " + cid);
            }
            return null;
        }, 204);
    }

    /**
     * Runs a VM-changing operation on the operations thread (one at a time, in arrival order; it may wait for
     * QMP, which the event loop must never do), then answers on the request's event loop.
     */
    private void blocking(HttpServerRequest req, Callable<ObjectNode> op, int status) {
        Context context = Vertx.currentContext();
        if (operations.isShutdown()) {
            throw new ApiException(409, "wrong_state", "the sandbox is stopping");
        }
        operations.execute(() -> {
            ObjectNode result;
            try {
                result = op.call();
            } catch (Exception e) {
                ApiException failed = ApiErrors.translate(e);
                if (e instanceof ResizeException r) {
                    // what QEMU already changed: the vCPUs as they are now, every one placed
                    failed.with("step", TextNode.valueOf(r.step()))
                            .with("vcpus", Json.vcpus(sandbox.snapshot()));
                }
                context.runOnContext(v -> error(req, failed));
                return;
            }
            context.runOnContext(v -> {
                if (result == null) {
                    req.response().setStatusCode(status).end();
                } else {
                    json(req, status, result);
                }
            });
        });
    }

    @Override
    public void close() {
        streams.forEach(EventStream::finish); // queued before the server closes: each stream ends cleanly
        operations.shutdownNow();
        if (server != null) {
            try {
                server.close().await(java.time.Duration.ofSeconds(5));
            } catch (Exception e) {
                LOG.warn("closing the API server: {}", e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }
}
