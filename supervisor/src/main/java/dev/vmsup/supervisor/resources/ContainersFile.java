package dev.vmsup.supervisor.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.vmsup.cgroupfs.CpuList;
import dev.vmsup.cgroupfs.CpuMax;
import dev.vmsup.cgroupfs.InvalidResourceException;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ContainerId;
import dev.vmsup.supervisor.config.SandboxId;

/**
 * Parses containers' resources: a JSON object mapping container id to an OCI {@code LinuxResources} body,
 * e.g. {@code {"c1": {"cpu": {"quota": 50000, "period": 100000}, "memory": {"limit": 268435456}}}}. Strict:
 * unknown fields, wrong types, out-of-range or overflowing numbers and bad cpu lists are errors naming the field.
 */
public final class ContainersFile {
    private static final Set<String> TOP = Set.of("cpu", "memory");
    private static final Set<String> CPU = Set.of("quota", "period", "shares", "cpus", "mems");
    private static final Set<String> MEMORY = Set.of("limit");

    private ContainersFile() {
    }

    public static Map<String, ContainerResources> read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("--containers", "cannot read " + file + ": " + e.getMessage());
        }
    }

    public static Map<String, ContainerResources> parse(String json) {
        JsonNode root = tree(json);
        if (!root.isObject()) {
            throw new ConfigException("containers", "containers must be a JSON object of id -> LinuxResources");
        }
        Map<String, ContainerResources> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String id = new ContainerId(e.getKey()).value();
            out.put(id, resources(id, e.getValue()));
        }
        return out;
    }

    /** One OCI LinuxResources body (as PUT to the control API). */
    public static ContainerResources parseResources(String json) {
        return resources("container", tree(json));
    }

    private static JsonNode tree(String json) {
        try {
            return JsonTrees.readStrict(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException("containers", "containers JSON is malformed: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    private static ContainerResources resources(String id, JsonNode body) {
        requireObject(id, body, TOP);
        JsonNode cpu = body.path("cpu");
        JsonNode mem = body.path("memory");
        if (!cpu.isMissingNode()) {
            requireObject(id + ".cpu", cpu, CPU);
        }
        if (!mem.isMissingNode()) {
            requireObject(id + ".memory", mem, MEMORY);
        }
        Long quota = number(id, "cpu.quota", cpu.get("quota"));
        Long period = number(id, "cpu.period", cpu.get("period"));
        Long shares = number(id, "cpu.shares", cpu.get("shares"));
        Long limit = number(id, "memory.limit", mem.get("limit"));
        try {
            if (quota != null && quota != -1 && quota < CpuMax.MIN_QUOTA_US) {
                throw new InvalidResourceException("cpu.quota", quota, "must be -1 (none) or at least "
                        + CpuMax.MIN_QUOTA_US + " us");
            }
            if (period != null && (period < CpuMax.MIN_PERIOD_US || period > CpuMax.MAX_PERIOD_US)) {
                throw new InvalidResourceException("cpu.period", period, "must be " + CpuMax.MIN_PERIOD_US + ".."
                        + CpuMax.MAX_PERIOD_US + " us");
            }
            if (shares != null && shares != 0 && (shares < Resources.MIN_SHARES || shares > Resources.MAX_SHARES)) {
                throw new InvalidResourceException("cpu.shares", shares, "must be " + Resources.MIN_SHARES + ".."
                        + Resources.MAX_SHARES);
            }
            if (limit != null && limit != -1 && limit <= 0) {
                throw new InvalidResourceException("memory.limit", limit, "must be positive, or -1 for unlimited");
            }
            CpuList cpus = list(id, "cpu.cpus", cpu.get("cpus"));
            CpuList mems = list(id, "cpu.mems", cpu.get("mems"));
            return new ContainerResources(quota, period, shares == null || shares == 0 ? null : shares, cpus, mems,
                    limit);
        } catch (InvalidResourceException e) {
            throw new ConfigException(e.field(), "container " + id + ": " + e.getMessage());
        }
    }

    private static void requireObject(String where, JsonNode node, Set<String> allowed) {
        if (!node.isObject()) {
            throw new ConfigException(where, where + " must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new ConfigException(where + "." + name, where + ": unknown field '" + name + "' (allowed: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
    }

    private static Long number(String id, String field, JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new ConfigException(field, "container " + id + ": " + field + " must be a 64-bit integer, got "
                    + SandboxId.shown(v.toString()));
        }
        return v.asLong();
    }

    private static CpuList list(String id, String field, JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ConfigException(field, "container " + id + ": " + field + " must be a string like \"0-3,7\"");
        }
        return CpuList.parse(v.asText());
    }
}
