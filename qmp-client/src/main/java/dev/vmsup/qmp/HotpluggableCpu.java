package dev.vmsup.qmp;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One CPU slot from {@code query-hotpluggable-cpus}: the device type to add, how many vCPUs it holds, its
 * topology props, and the QOM path when a CPU is plugged into it (null for an empty slot).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HotpluggableCpu(@JsonProperty("type") String type, @JsonProperty("vcpus-count") int vcpusCount,
        @JsonProperty("props") Map<String, Long> props, @JsonProperty("qom-path") String qomPath) {
    public HotpluggableCpu {
        props = props == null ? Map.of() : Map.copyOf(props);
    }

    public boolean plugged() {
        return qomPath != null;
    }
}
