package dev.vmsup.supervisor.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import dev.vmsup.supervisor.ctl.UnixHttpClient;



/**
 * The API tests' client: every reply it gets is checked against {@code docs/openapi.json} (Atlassian's
 * swagger-request-validator), and so is every request: one the contract refuses (the tests send some on purpose)
 * must be answered 4xx. The contract cannot drift from the code; a mismatch fails the test with the validator's
 * messages.
 */
public final class ContractCheckingClient {
    private static final OpenApiInteractionValidator VALIDATOR = OpenApiInteractionValidator
            .createFor(Path.of("../docs/openapi.json").toAbsolutePath().normalize().toString()).build();

    private final UnixHttpClient http;

    public ContractCheckingClient(Path socket) {
        this.http = new UnixHttpClient(socket, Duration.ofSeconds(60));
    }

    public Path socket() {
        return http.socket();
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    public UnixHttpClient.Response send(String method, String path, String body) throws IOException {
        UnixHttpClient.Response r = http.send(method, path, body);
        int query = path.indexOf('?');
        SimpleRequest.Builder req = new SimpleRequest.Builder(Request.Method.valueOf(method),
                query < 0 ? path : path.substring(0, query));
        if (query >= 0) {
            for (String pair : path.substring(query + 1).split("&")) {
                int eq = pair.indexOf('=');
                req.withQueryParam(decode(eq < 0 ? pair : pair.substring(0, eq)), decode(eq < 0 ? "" : pair.substring(eq + 1)));
            }
        }
        if (body != null) {
            req.withBody(body).withContentType("application/json");
        }
        SimpleResponse.Builder resp = SimpleResponse.Builder.status(r.status());
        if (!r.body().isEmpty()) {
            resp.withBody(r.body());
            if (r.contentType() != null) {
                resp.withContentType(r.contentType());
            }
        }
        ValidationReport reply = VALIDATOR.validateResponse(path.replaceFirst("\\?.*", ""),
                Request.Method.valueOf(method), resp.build());
        if (reply.hasErrors() && reply.getMessages().stream().anyMatch(m -> m.getKey().equals(
                "validation.request.path.missing") || m.getKey().equals("validation.request.operation.notAllowed"))) {
            // not in the contract: the server must say so
            if (r.status() != 404 && r.status() != 405) {
                throw new AssertionError(method + " " + path + " is not in docs/openapi.json yet answered " + r.status());
            }
            return r;
        }
        if (reply.hasErrors()) {
            throw new AssertionError(method + " " + path + " -> " + r.status() + ": the reply does not match "
                    + "docs/openapi.json: " + reply.getMessages() + "\nbody: " + r.body());
        }
        ValidationReport request = VALIDATOR.validateRequest(req.build());
        if (request.hasErrors() && r.status() < 400) {
            throw new AssertionError(method + " " + path + " -> " + r.status() + ": the server accepted a request "
                    + "docs/openapi.json refuses: " + request.getMessages());
        }
        return r;
    }
}
