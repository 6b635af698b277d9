package dev.vmsup.supervisor.process;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.SupervisorException;

/**
 * What a {@code vmsup run} that re-executed itself inside its own cgroup tells the new image (environment variable
 * {@value #ENV}): the cgroup it made for itself and moved into ({@code home}) and where it was before
 * ({@code origin}, per controller, where teardown returns it). Nothing in it is trusted on its own: the start recipe
 * adopts the home only if the state file names this very process and the process is in that cgroup.
 */
public record Birth(CgroupPath home, Map<String, CgroupPath> origin) {
    public static final String ENV = "VMSUP_BORN";

    public Birth {
        origin = Map.copyOf(origin);
    }

    /** The birth this process was given, or null when it was started as usual. */
    public static Birth ofThisProcess() {
        return given() ? parse(System.getenv(ENV)) : null;
    }

    /** Whether this process was given a birth (without reading it, which needs Jackson). */
    static boolean given() {
        String value = System.getenv(ENV);
        return value != null && !value.isEmpty();
    }

    static Birth parse(String json) {
        try {
            JsonNode n = JsonTrees.read(json);
            Map<String, CgroupPath> origin = new LinkedHashMap<>();
            n.get("origin").fields().forEachRemaining(e -> origin.put(e.getKey(), CgroupPath.of(e.getValue().asText())));
            return new Birth(CgroupPath.of(n.get("home").asText()), origin);
        } catch (IOException | RuntimeException e) {
            throw new SupervisorException("malformed " + ENV + " in the environment: " + json, e);
        }
    }

    String toJson() {
        ObjectNode o = JsonTrees.object();
        o.put("home", home.toString());
        ObjectNode from = o.putObject("origin");
        origin.forEach((controller, path) -> from.put(controller, path.toString()));
        return JsonTrees.write(o);
    }
}
