package dev.vmsup.qmp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reading QMP's replies from Jackson's tree, field by field: no bean deserializers, whose construction cost tens of
 * milliseconds of each supervisor's start. Lenient as QMP clients are (unknown fields ignored, a missing number is 0,
 * a missing string null); a reply of the wrong shape is an {@link IllegalArgumentException}.
 */
final class Replies {
    private Replies() {
    }

    static JsonNode object(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(what + " is not a JSON object: " + n);
        }
        return n;
    }

    static int integer(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isMissingNode() && !v.isNull() && !v.isNumber() && !v.isTextual()) {
            throw new IllegalArgumentException(field + " is not a number: " + v);
        }
        return v.asInt();
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isContainerNode()) {
            throw new IllegalArgumentException(field + " is not a string: " + v);
        }
        return v.asText();
    }

    /** An object of integers ({@code props}); missing or null: empty. */
    static Map<String, Long> longs(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return Map.of();
        }
        Map<String, Long> out = new LinkedHashMap<>();
        object(v, field).fields().forEachRemaining(e -> {
            if (!e.getValue().isIntegralNumber()) {
                throw new IllegalArgumentException(field + "." + e.getKey() + " is not an integer: " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().longValue());
        });
        return out;
    }

    static <T> List<T> list(JsonNode n, Function<JsonNode, T> each) {
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException("not a JSON array: " + n);
        }
        List<T> out = new ArrayList<>(n.size());
        n.forEach(e -> out.add(each.apply(e)));
        return out;
    }
}
