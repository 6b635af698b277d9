package dev.vmsup.supervisor.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.vmsup.json.JsonTrees;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmsup overhead}: the host-side overhead of a running sandbox over a window (current, max, p95) and the
 * {@code RuntimeClass} overhead it recommends, from {@code GET /v1/overhead}; {@code --watch} repeats it.
 */
@Command(name = "overhead", mixinStandardHelpOptions = true,
        description = {"Measure what a running sandbox costs the host beyond its guest's RAM and vCPUs (vmsup, "
                + "virtiofsd, QEMU outside the guest's RAM, their CPU) and print the RuntimeClass overhead.podFixed "
                + "to use for it.", "The model is in the README (\"Sizing pod overhead\")."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:usage error", "3:the API answered with an error", "4:the API socket is unreachable"})
public final class OverheadCommand implements Callable<Integer> {
    private static final double MIB = 1024.0 * 1024.0;

    @Mixin
    ApiTarget target;

    @Option(names = "--window", description = "Seconds of history to use, 1-900 (default: 60; samples are 5 s apart, plus one taken now).",
            defaultValue = "60")
    int window;

    @Option(names = "--margin", description = "Percent added to the measured need (default: 20).", defaultValue = "20")
    int margin;

    @Option(names = "--runtime-class", description = "Name of the RuntimeClass printed (default: vmsup).",
            defaultValue = "vmsup")
    String runtimeClass;

    @Option(names = "--watch", description = "Print the report again every --every seconds until interrupted "
            + "(or --count reports).")
    boolean watch;

    @Option(names = "--every", description = "Seconds between reports with --watch (default: 5).", defaultValue = "5")
    int every;

    @Option(names = "--count", description = "With --watch, stop after this many reports.")
    Integer count;

    @Option(names = "--json", description = "Print the API's JSON instead of the table and YAML.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (every < 1 || (count != null && count < 1)) {
            throw new ParameterException(spec.commandLine(), "--every and --count must be at least 1");
        }
        String path = "/v1/overhead?window=" + window + "&margin=" + margin + "&runtime_class="
                + URLEncoder.encode(runtimeClass, StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        UnixHttpClient http = target.client(spec);
        for (int n = 1; ; n++) {
            UnixHttpClient.Response r;
            try {
                r = http.send("GET", path, null);
            } catch (IOException e) {
                err.println("vmsup overhead: " + e.getMessage());
                return CtlCommand.UNREACHABLE;
            }
            if (r.status() != 200) {
                err.println("vmsup overhead: " + r.status() + " " + r.body());
                return CtlCommand.API_ERROR;
            }
            if (json) {
                out.println(r.body());
            } else {
                try {
                    print(out, JsonTrees.read(r.body()));
                } catch (IOException e) {
                    out.println(r.body());
                }
            }
            out.flush();
            if (!watch || (count != null && n >= count)) {
                return 0;
            }
            Thread.sleep(every * 1000L);
            out.println();
        }
    }

    static void print(PrintWriter o, JsonNode r) {
        o.printf(Locale.ROOT, "overhead over %.0f s (%d samples)%36s %9s %9s%n", r.path("window_ms").asLong() / 1000.0,
                r.path("samples").asInt(), "current", "max", "p95");
        JsonNode mem = r.path("memory_bytes");
        memory(o, "memory (PSS)", "vmsup", mem.path("vmsup"));
        memory(o, "", "qemu, outside the guest's RAM", mem.path("qemu"));
        memory(o, "", "virtiofsd", mem.path("virtiofsd"));
        memory(o, "", "total", mem.path("total"));
        JsonNode g = r.path("guest");
        o.printf(Locale.ROOT, "%-14s RAM %s configured, %s resident; containers' limits %s; base %s%n", "guest",
                mib(g.path("memory_bytes").asLong()), mib(g.path("ram_resident_bytes").path("current").asLong()),
                mib(g.path("container_limits_bytes").asLong()), mib(g.path("base_bytes").asLong()));
        JsonNode cpu = r.path("cpu_millicores");
        cpu(o, "cpu", "vmsup", cpu.path("vmsup"));
        cpu(o, "", "qemu, non-vCPU threads", cpu.path("qemu_other"));
        cpu(o, "", "virtiofsd", cpu.path("virtiofsd"));
        cpu(o, "", "kernel threads (kvm-pit)", cpu.path("kernel_threads"));
        cpu(o, "", "total", cpu.path("total"));
        cpu(o, "", "(vCPUs: the guest's, not overhead)", cpu.path("qemu_vcpus"));
        o.println("charged to the sandbox cgroup in this mode: " + r.path("charged_to_sandbox_cgroup").asText());
        o.println();
        o.print(r.path("runtime_class_yaml").asText());
    }

    private static void memory(PrintWriter o, String head, String what, JsonNode f) {
        o.printf(Locale.ROOT, "%-14s %-37s %9s %9s %9s%n", head, what, mib(f.path("current").asLong()),
                mib(f.path("max").asLong()), mib(f.path("p95").asLong()));
    }

    private static void cpu(PrintWriter o, String head, String what, JsonNode f) {
        o.printf(Locale.ROOT, "%-14s %-37s %9s %9s %9s%n", head, what, f.path("current").asLong() + "m",
                f.path("max").asLong() + "m", f.path("p95").asLong() + "m");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1fMi", bytes / MIB);
    }
}
