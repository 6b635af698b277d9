package dev.vmsup.qmp.fake;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A consistent CPU hotplug state for tests: {@code present} of {@code max} x86 sockets (one CPU each) filled,
 * answering {@code query-hotpluggable-cpus}, {@code query-cpus-fast}, {@code device_add} and {@code device_del}
 * the way QEMU 7.2 does. Thread ids come from the test, so it can map them to real threads it started.
 */
public final class CpuHotplugModel {
    /** The CPU type QEMU reports under TCG. */
    public static final String TYPE = "qemu64-x86_64-cpu";

    private final int max;
    private final IntUnaryOperator threadIdOfIndex;
    /** socket -> device id ("" for the boot CPUs). */
    private final Map<Integer, String> plugged = new TreeMap<>();
    private volatile boolean unplugSupported = true;

    CpuHotplugModel(int present, int max, IntUnaryOperator threadIdOfIndex) {
        if (present < 1 || present > max) {
            throw new IllegalArgumentException("present must be 1.." + max);
        }
        this.max = max;
        this.threadIdOfIndex = threadIdOfIndex;
        for (int i = 0; i < present; i++) {
            plugged.put(i, "");
        }
    }

    /** When false, {@code device_del} of a CPU fails as it does on a VM without a booted ACPI guest. */
    public CpuHotplugModel unplugSupported(boolean value) {
        this.unplugSupported = value;
        return this;
    }

    public synchronized int presentCount() {
        return plugged.size();
    }

    /** Answers a command, or returns null if the model does not handle it. */
    synchronized Reply handle(String command, JsonNode args) {
        return switch (command) {
            case "query-hotpluggable-cpus" -> Reply.ok(hotpluggable());
            case "query-cpus-fast" -> Reply.ok(cpusFast());
            case "device_add" -> args.path("driver").asText().equals(TYPE) ? add(args) : null;
            case "device_del" -> plugged.containsValue(args.path("id").asText()) ? del(args.path("id").asText()) : null;
            default -> null;
        };
    }

    private ObjectNode props(int socket) {
        ObjectNode p = QmpFake.MAPPER.createObjectNode();
        p.put("core-id", 0).put("thread-id", 0).put("socket-id", socket);
        return p;
    }

    private String qomPath(int socket) {
        String id = plugged.get(socket);
        return id.isEmpty() ? "/machine/unattached/device[" + socket + "]" : "/machine/peripheral/" + id;
    }

    private ArrayNode hotpluggable() {
        ArrayNode list = QmpFake.MAPPER.createArrayNode();
        for (int s = max - 1; s >= 0; s--) {
            ObjectNode slot = list.addObject();
            slot.set("props", props(s));
            slot.put("vcpus-count", 1);
            if (plugged.containsKey(s)) {
                slot.put("qom-path", qomPath(s));
            }
            slot.put("type", TYPE);
        }
        return list;
    }

    private ArrayNode cpusFast() {
        ArrayNode list = QmpFake.MAPPER.createArrayNode();
        for (int s : plugged.keySet()) {
            ObjectNode cpu = list.addObject();
            cpu.put("thread-id", threadIdOfIndex.applyAsInt(s));
            cpu.set("props", props(s));
            cpu.put("qom-path", qomPath(s));
            cpu.put("cpu-index", s);
            cpu.put("target", "x86_64");
        }
        return list;
    }

    private Reply add(JsonNode args) {
        int socket = args.path("socket-id").asInt(-1);
        String id = args.path("id").asText("");
        if (socket < 0 || socket >= max) {
            return Reply.error("GenericError", "Invalid CPU socket-id: " + socket + " must be in range 0:" + (max - 1));
        }
        if (plugged.containsKey(socket)) {
            return Reply.error("GenericError", "CPU[" + socket + "] with APIC ID " + socket + " exists");
        }
        if (id.isEmpty() || plugged.containsValue(id)) {
            return Reply.error("GenericError", "Duplicate device ID '" + id + "' for device");
        }
        plugged.put(socket, id);
        return Reply.ok(QmpFake.MAPPER.createObjectNode());
    }

    private Reply del(String id) {
        if (!unplugSupported) {
            return Reply.error("GenericError", "acpi: device unplug request for not supported device type: " + TYPE);
        }
        List<Integer> sockets = new ArrayList<>();
        plugged.forEach((s, d) -> {
            if (d.equals(id)) {
                sockets.add(s);
            }
        });
        sockets.forEach(plugged::remove);
        ObjectNode data = QmpFake.MAPPER.createObjectNode();
        data.put("device", id).put("path", "/machine/peripheral/" + id);
        return Reply.ok(QmpFake.MAPPER.createObjectNode()).withEvent(QmpFake.event("DEVICE_DELETED", data));
    }

    /** A model answer: a return value or an error, and events to emit after it. */
    record Reply(JsonNode value, String errorClass, String desc, List<ObjectNode> events) {
        static Reply ok(JsonNode value) {
            return new Reply(value, null, null, List.of());
        }

        static Reply error(String cls, String desc) {
            return new Reply(null, cls, desc, List.of());
        }

        Reply withEvent(ObjectNode event) {
            List<ObjectNode> all = new ArrayList<>(events);
            all.add(event);
            return new Reply(value, errorClass, desc, all);
        }
    }
}
