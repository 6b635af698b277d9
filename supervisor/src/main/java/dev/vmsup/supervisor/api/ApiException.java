package dev.vmsup.supervisor.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.json.JsonTrees;

/**
 * An API error with its HTTP status and a short machine-readable code; rendered as {"error", "message"} plus any
 * details (a failed resize adds "step" and the "vcpus" as they are after it).
 */
final class ApiException extends RuntimeException {
    final int status;
    final String code;
    final ObjectNode details = JsonTrees.object();

    ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    ApiException with(String field, JsonNode value) {
        details.set(field, value);
        return this;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }
}
