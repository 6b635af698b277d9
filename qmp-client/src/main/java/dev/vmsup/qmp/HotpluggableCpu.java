package dev.vmsup.qmp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * One CPU slot from {@code query-hotpluggable-cpus}: the device type to add, how many vCPUs it holds, its
 * topology props, and the QOM path when a CPU is plugged into it (null for an empty slot).
 */
public record HotpluggableCpu(String type, int vcpusCount,
        Map<String, Long> props, String qomPath) {
    public HotpluggableCpu {
        props = props == null ? Map.of() : Map.copyOf(props);
    }

    /** One element of {@code query-hotpluggable-cpus}'s reply. */
    static HotpluggableCpu of(JsonNode n) {
        Replies.object(n, "a CPU slot");
        return new HotpluggableCpu(Replies.text(n, "type"), Replies.integer(n, "vcpus-count"), Replies.longs(n, "props"),
                Replies.text(n, "qom-path"));
    }

    public boolean plugged() {
        return qomPath != null;
    }
}
