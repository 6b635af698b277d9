package dev.vmsup.qmp.fake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A scripted answer to one command, built fluently: what to match (command, optionally arguments), what to
 * answer (a return value, an error, nothing), after how long, and what to do next (emit events, close the
 * connection). Later stubs win over earlier ones for the same request.
 */
public final class Stub {
    final String command;
    Predicate<JsonNode> argumentsMatch = a -> true;
    JsonNode returnValue;
    String errorClass;
    String errorDesc;
    boolean silent;
    Duration delay = Duration.ZERO;
    boolean closeAfter;
    String replyIdOverride;
    int remainingUses = -1;
    final List<ObjectNode> eventsAfter = new ArrayList<>();

    Stub(String command) {
        this.command = command;
        this.returnValue = QmpFake.MAPPER.createObjectNode();
    }

    /** Matches only requests whose arguments contain every field of {@code subset} with equal values. */
    public Stub withArguments(String subsetJson) {
        JsonNode subset = QmpFake.json(subsetJson);
        this.argumentsMatch = args -> contains(args, subset);
        return this;
    }

    /** Matches only requests whose arguments pass {@code predicate}. */
    public Stub withArguments(Predicate<JsonNode> predicate) {
        this.argumentsMatch = predicate;
        return this;
    }

    private static boolean contains(JsonNode args, JsonNode subset) {
        for (var it = subset.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().equals(args.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Answers {@code {"return": <json>}}. */
    public Stub returns(String json) {
        this.returnValue = QmpFake.json(json);
        this.errorClass = null;
        return this;
    }

    /** Answers {@code {"error": {"class": ..., "desc": ...}}}. */
    public Stub fails(String errorClass, String desc) {
        this.errorClass = errorClass;
        this.errorDesc = desc;
        return this;
    }

    /** Sends no reply at all (for timeouts). */
    public Stub neverReplies() {
        this.silent = true;
        return this;
    }

    /** Waits before replying; other requests are answered meanwhile, so replies can arrive out of order. */
    public Stub delay(Duration value) {
        this.delay = value;
        return this;
    }

    /** Closes the connection after the reply (or instead of it, with {@link #neverReplies()}). */
    public Stub closesConnection() {
        this.closeAfter = true;
        return this;
    }

    /** Emits an event right after the reply. */
    public Stub thenEmit(String event, String dataJson) {
        eventsAfter.add(QmpFake.event(event, dataJson == null ? null : QmpFake.json(dataJson)));
        return this;
    }

    /** Replies with this id instead of the request's (a reply the client cannot match). */
    public Stub replyWithId(String id) {
        this.replyIdOverride = id;
        return this;
    }

    /** Applies to the next {@code n} matching requests only. */
    public Stub times(int n) {
        this.remainingUses = n;
        return this;
    }

    synchronized boolean claim(String cmd, JsonNode args) {
        if (!command.equals(cmd) || remainingUses == 0 || !argumentsMatch.test(args)) {
            return false;
        }
        if (remainingUses > 0) {
            remainingUses--;
        }
        return true;
    }
}
