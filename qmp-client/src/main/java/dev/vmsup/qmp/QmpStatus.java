package dev.vmsup.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code query-status}: the run state ("prelaunch", "running", "paused", "shutdown"...) and whether vCPUs run. */
public record QmpStatus(String status, boolean running) {
    /** {@code query-status}'s reply. */
    static QmpStatus of(JsonNode n) {
        Replies.object(n, "the status");
        return new QmpStatus(Replies.text(n, "status"), n.path("running").asBoolean(false));
    }
}
