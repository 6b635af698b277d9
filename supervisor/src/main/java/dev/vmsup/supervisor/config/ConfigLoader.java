package dev.vmsup.supervisor.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;

import dev.vmsup.json.JsonTrees;

/**
 * Reads a vmsup TOML file into {@link Settings}. Keys follow Kata's configuration where Kata has them
 * ({@code [hypervisor.qemu]}, {@code [runtime]}); vmsup's own live in {@code [vmsup]}. Unknown keys and wrong
 * types are errors naming the key.
 */
public final class ConfigLoader {
    private static final Map<String, Set<String>> KEYS = Map.of(
            "hypervisor.qemu", Set.of("path", "kernel", "initrd", "kernel_params", "default_vcpus", "default_maxvcpus",
                    "default_memory", "virtio_fs_daemon"),
            "runtime", Set.of("sandbox_cgroup_only", "systemd_cgroup"),
            "vmsup", Set.of("cgroup_parent", "overhead_cgroup", "sandbox_cgroup_prefix", "vcpu_cgroup", "accel",
                    "state_dir", "auto_vcpus", "cgroup_hierarchy", "v1_controllers", "memory_overhead",
                    "qmp_connect_timeout", "qmp_command_timeout", "cpu_unplug_timeout", "powerdown_timeout",
                    "quit_timeout"));

    private ConfigLoader() {
    }

    public static Settings load(Path file) {
        Settings s = new Settings();
        if (file == null) {
            return s;
        }
        JsonNode root;
        try {
            try (JsonParser p = new TomlFactory().createParser(Files.readString(file))) {
                root = JsonTrees.read(p);
            }
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new ConfigException("--config", "cannot read config " + file + ": " + msg);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> top = it.next();
            if (top.getKey().equals("hypervisor") && top.getValue().isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> h = top.getValue().fields(); h.hasNext(); ) {
                    Map.Entry<String, JsonNode> hv = h.next();
                    section(s, file, "hypervisor." + hv.getKey(), hv.getValue());
                }
            } else {
                section(s, file, top.getKey(), top.getValue());
            }
        }
        return s;
    }

    private static void section(Settings s, Path file, String name, JsonNode table) {
        Set<String> known = KEYS.get(name);
        if (known == null || !table.isObject()) {
            throw new ConfigException(name, file + ": unknown section or key '" + name + "'");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = name + "." + e.getKey();
            if (!known.contains(e.getKey())) {
                throw new ConfigException(key, file + ": unknown key '" + key + "'");
            }
            try {
                apply(s, file, key, e.getKey(), e.getValue());
            } catch (ConfigException bad) {
                // the parsers shared with the command line name the key alone: the file goes in front, as in the rest
                throw bad.getMessage().startsWith(file + ": ") ? bad
                        : new ConfigException(bad.key(), file + ": " + bad.getMessage());
            }
        }
    }

    private static void apply(Settings s, Path file, String key, String name, JsonNode v) {
        switch (name) {
            case "path" -> s.qemuPath(text(file, key, v));
            case "kernel" -> s.kernel(text(file, key, v));
            case "initrd" -> s.initrd(text(file, key, v));
            case "kernel_params" -> s.kernelParams(text(file, key, v));
            case "default_vcpus" -> s.vcpus(integer(file, key, v));
            case "default_maxvcpus" -> s.maxVcpus(integer(file, key, v));
            case "default_memory" -> s.memoryMib(integer(file, key, v));
            case "virtio_fs_daemon" -> s.virtiofsDaemon(text(file, key, v));
            case "sandbox_cgroup_only" -> s.sandboxCgroupOnly(bool(file, key, v));
            case "systemd_cgroup" -> s.systemdCgroup(SystemdCgroup.parse(key, v.isBoolean() ? v.asText()
                    : text(file, key, v)));
            case "cgroup_parent" -> s.cgroupParent(text(file, key, v));
            case "overhead_cgroup" -> s.overheadCgroup(text(file, key, v));
            case "sandbox_cgroup_prefix" -> s.sandboxCgroupPrefix(text(file, key, v));
            case "vcpu_cgroup" -> s.vcpuCgroup(text(file, key, v));
            case "accel" -> s.accel(Accel.parse(key, text(file, key, v)));
            case "state_dir" -> s.stateBase(text(file, key, v));
            case "auto_vcpus" -> s.autoVcpus(bool(file, key, v));
            case "cgroup_hierarchy" -> s.cgroupHierarchy(HierarchyChoice.parse(key, text(file, key, v)));
            case "v1_controllers" -> s.v1Controllers(strings(file, key, v));
            case "memory_overhead" -> s.memoryOverheadMib(integer(file, key, v));
            case "qmp_connect_timeout", "qmp_command_timeout", "cpu_unplug_timeout", "powerdown_timeout",
                    "quit_timeout" -> s.deadlines(withDeadline(s.deadlines(), name, seconds(file, key, v)));
            default -> throw new ConfigException(key, file + ": unknown key '" + key + "'");
        }
    }

    private static Deadlines withDeadline(Deadlines d, String name, java.time.Duration value) {
        return switch (name) {
            case "qmp_connect_timeout" -> new Deadlines(value, d.qmpCommand(), d.cpuUnplug(), d.powerdown(), d.quit());
            case "qmp_command_timeout" -> new Deadlines(d.qmpConnect(), value, d.cpuUnplug(), d.powerdown(), d.quit());
            case "cpu_unplug_timeout" -> new Deadlines(d.qmpConnect(), d.qmpCommand(), value, d.powerdown(), d.quit());
            case "powerdown_timeout" -> new Deadlines(d.qmpConnect(), d.qmpCommand(), d.cpuUnplug(), value, d.quit());
            default -> new Deadlines(d.qmpConnect(), d.qmpCommand(), d.cpuUnplug(), d.powerdown(), value);
        };
    }

    /** A deadline in seconds: 1..3600. */
    private static java.time.Duration seconds(Path file, String key, JsonNode v) {
        int n = integer(file, key, v);
        if (n < 1 || n > 3600) {
            throw new ConfigException(key, file + ": " + key + " must be 1..3600 seconds, got " + n);
        }
        return java.time.Duration.ofSeconds(n);
    }

    private static String text(Path file, String key, JsonNode v) {
        if (!v.isTextual()) {
            throw wrongType(file, key, "a string", v);
        }
        return v.asText();
    }

    private static int integer(Path file, String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(file, key, "an integer", v);
        }
        return v.asInt();
    }

    private static boolean bool(Path file, String key, JsonNode v) {
        if (!v.isBoolean()) {
            throw wrongType(file, key, "true or false", v);
        }
        return v.asBoolean();
    }

    private static List<String> strings(Path file, String key, JsonNode v) {
        if (!v.isArray()) {
            throw wrongType(file, key, "an array of strings", v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            out.add(text(file, key, e));
        }
        return out;
    }

    private static ConfigException wrongType(Path file, String key, String expected, JsonNode v) {
        return new ConfigException(key, file + ": key '" + key + "' must be " + expected + ", got " + v.getNodeType()
                .toString().toLowerCase(java.util.Locale.ROOT) + " " + SandboxId.shown(v.toString()));
    }
}
