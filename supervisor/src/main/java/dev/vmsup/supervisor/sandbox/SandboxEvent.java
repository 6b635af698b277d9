package dev.vmsup.supervisor.sandbox;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Something that happened to a sandbox, as {@code GET /v1/events} streams it: a type (state, vcpu_placed,
 * vcpu_unplugged, placement_failed, resize, container, qemu_exit, guest_panicked, virtiofsd_exit, stopping, ...),
 * when, and its fields (JSON-ready values: strings, numbers, booleans, lists and maps of them, or null).
 */
public record SandboxEvent(String type, Instant time, Map<String, Object> fields) {
    public SandboxEvent {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** An event of {@code type} now, with {@code keyValues} as alternating names and values. */
    public static SandboxEvent of(String type, Object... keyValues) {
        Map<String, Object> f = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            f.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new SandboxEvent(type, Instant.now(), f);
    }
}
