package dev.vmsup.qmp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/** One vCPU from {@code query-cpus-fast}: its index, QOM path, host thread id and topology props. */
public record CpuInfo(int cpuIndex, String qomPath,
        int threadId, Map<String, Long> props) {
    public CpuInfo {
        props = props == null ? Map.of() : Map.copyOf(props);
    }

    /** One element of {@code query-cpus-fast}'s reply. */
    static CpuInfo of(JsonNode n) {
        Replies.object(n, "a CPU");
        return new CpuInfo(Replies.integer(n, "cpu-index"), Replies.text(n, "qom-path"), Replies.integer(n, "thread-id"),
                Replies.longs(n, "props"));
    }
}
