package dev.vmsup.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** An asynchronous QMP event: its name, its data (an empty object when none) and QEMU's timestamp. */
public record QmpEvent(String name, JsonNode data, long seconds, long microseconds) {
}
