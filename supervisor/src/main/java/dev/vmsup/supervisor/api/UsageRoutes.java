package dev.vmsup.supervisor.api;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.cgroupfs.CgroupStats;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.usage.OverheadReport;
import dev.vmsup.supervisor.usage.Subjects;
import dev.vmsup.supervisor.usage.UsageSampler;

/**
 * {@code GET /v1/stats} and {@code GET /v1/overhead}: their /proc figures are read on the usage sampler's thread,
 * never on the event loop and never behind a change in progress.
 */
final class UsageRoutes {
    /** Kubernetes' object names (RFC 1123 DNS subdomain). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private final Sandbox sandbox;

    UsageRoutes(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    void stats(HttpServerRequest req) {
        Map<String, CgroupStats> cgroups = sandbox.stats();
        reply(req, sampler().fresh().thenApply(sample -> {
            ObjectNode o = Json.stats(cgroups);
            o.set("processes", UsageJson.processes(sample, sandbox.snapshot()));
            return o;
        }));
    }

    void overhead(HttpServerRequest req) {
        int window = intParam(req, "window", 60, 1,
                (int) (UsageSampler.CAPACITY * UsageSampler.INTERVAL.toSeconds()));
        int margin = intParam(req, "margin", 20, 0, 1000);
        String name = req.getParam("runtime_class", "vmsup");
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest("'runtime_class' must be a Kubernetes object name (lower case letters, "
                    + "digits, '-' and '.', at most 253 characters)");
        }
        UsageSampler sampler = sampler();
        Subjects subjects = sampler.subjects();
        reply(req, sampler.window(Duration.ofSeconds(window)).thenApply(samples -> UsageJson.overhead(
                OverheadReport.of(samples, subjects, margin), sandbox.snapshot(), name)));
    }

    private UsageSampler sampler() {
        UsageSampler s = sandbox.usage();
        if (s == null) {
            throw new ApiException(409, "wrong_state", "the sandbox is not running");
        }
        return s;
    }

    private static int intParam(HttpServerRequest req, String name, int dflt, int min, int max) {
        String v = req.getParam(name);
        if (v == null) {
            return dflt;
        }
        if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(Character::isDigit)) {
            throw ApiException.badRequest("'" + name + "' must be a whole number from " + min + " to " + max);
        }
        int n = Integer.parseInt(v);
        if (n < min || n > max) {
            throw ApiException.badRequest("'" + name + "' must be from " + min + " to " + max + ", not " + n);
        }
        return n;
    }

    /** Answers on the request's event loop once {@code body} is ready. */
    private static void reply(HttpServerRequest req, CompletableFuture<ObjectNode> body) {
        Context context = Vertx.currentContext();
        body.whenComplete((o, e) -> context.runOnContext(v -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause != null) {
                Replies.error(req, ApiErrors.translate(cause));
            } else {
                Replies.json(req, 200, o);
            }
        }));
    }
}
