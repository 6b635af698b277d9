package dev.vmsup.qmp.fake;

import com.fasterxml.jackson.databind.JsonNode;

/** One command the fake received, in arrival order: the command, its arguments (empty object if none), its id. */
public record RecordedRequest(String command, JsonNode arguments, JsonNode id, boolean outOfBand) {
}
