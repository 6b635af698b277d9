package dev.vmsup.supervisor.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

import dev.vmsup.json.JsonTrees;

/** The API's answers: a JSON body with its status, or an {@link ApiException} as {"error", "message", details}. */
final class Replies {
    private Replies() {
    }

    static void json(HttpServerRequest req, int status, JsonNode body) {
        // UTF-8 bytes straight from the generator: through a String, a resize's answer (the vCPU list) was copied
        // char by char, interpreted, twice (into the String, then back into bytes)
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(JsonTrees.writeBytes(body)));
    }

    static void error(HttpServerRequest req, ApiException e) {
        ObjectNode o = JsonTrees.object().put("error", e.code).put("message", e.getMessage());
        o.setAll(e.details);
        json(req, e.status, o);
    }
}
