package dev.vmsup.qmp;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Future;

import dev.vmsup.json.JsonTrees;

/** Typed wrappers for the QMP commands a VMM supervisor needs, over a {@link QmpClient}. */
public final class QmpCommands {

    private final QmpClient client;

    public QmpCommands(QmpClient client) {
        this.client = Objects.requireNonNull(client);
    }

    public QmpClient client() {
        return client;
    }

    public Future<QmpVersion> queryVersion() {
        return client.execute("query-version").map(r -> convert(r, QmpVersion::of, "query-version"));
    }

    public Future<QmpStatus> queryStatus() {
        return client.execute("query-status").map(r -> convert(r, QmpStatus::of, "query-status"));
    }

    public Future<Void> cont() {
        return client.execute("cont").mapEmpty();
    }

    public Future<Void> stop() {
        return client.execute("stop").mapEmpty();
    }

    /** Presses the ACPI power button; the guest decides whether to shut down. */
    public Future<Void> systemPowerdown() {
        return client.execute("system_powerdown").mapEmpty();
    }

    /** Ends QEMU at once; the connection closes right after the reply. */
    public Future<Void> quit() {
        return client.execute("quit").mapEmpty();
    }

    public Future<List<CpuInfo>> queryCpusFast() {
        return client.execute("query-cpus-fast").map(r -> convert(r, n -> Replies.list(n, CpuInfo::of), "query-cpus-fast"));
    }

    public Future<List<HotpluggableCpu>> queryHotpluggableCpus() {
        return client.execute("query-hotpluggable-cpus")
                .map(r -> convert(r, n -> Replies.list(n, HotpluggableCpu::of), "query-hotpluggable-cpus"));
    }

    /** Plugs a CPU into an empty slot: driver = the slot's type, the slot's props, and {@code id}. */
    public Future<Void> deviceAddCpu(HotpluggableCpu slot, String id) {
        if (slot.plugged()) {
            return Future.failedFuture(new IllegalArgumentException("CPU slot " + slot.props() + " is already plugged"));
        }
        ObjectNode args = JsonTrees.object();
        args.put("driver", slot.type());
        args.put("id", id);
        for (Map.Entry<String, Long> p : slot.props().entrySet()) {
            args.put(p.getKey(), p.getValue());
        }
        return client.execute("device_add", args).mapEmpty();
    }

    /** Asks for a device's removal; for a CPU the guest must acknowledge it (watch events, then query). */
    public Future<Void> deviceDel(String id) {
        ObjectNode args = JsonTrees.object();
        args.put("id", id);
        return client.execute("device_del", args).mapEmpty();
    }

    private static <T> T convert(JsonNode node, Function<JsonNode, T> read, String command) {
        try {
            return read.apply(node);
        } catch (RuntimeException e) {
            throw new QmpProtocolException("unexpected reply to " + command + ": " + node, e);
        }
    }
}
