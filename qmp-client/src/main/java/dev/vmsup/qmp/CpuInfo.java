package dev.vmsup.qmp;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One vCPU from {@code query-cpus-fast}: its index, QOM path, host thread id and topology props. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CpuInfo(@JsonProperty("cpu-index") int cpuIndex, @JsonProperty("qom-path") String qomPath,
        @JsonProperty("thread-id") int threadId, @JsonProperty("props") Map<String, Long> props) {
    public CpuInfo {
        props = props == null ? Map.of() : Map.copyOf(props);
    }
}
