package dev.vmsup.qmp;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code query-status}: the run state ("prelaunch", "running", "paused", "shutdown"...) and whether vCPUs run. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record QmpStatus(String status, boolean running) {
}
