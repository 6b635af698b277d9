package dev.vmsup.supervisor.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.cgroupfs.CpuList;
import dev.vmsup.json.JsonTrees;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ContainerId;
import dev.vmsup.supervisor.config.SandboxId;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vmsup ctl}: drives a running sandbox through its control API. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = "Drive a running sandbox through its control API socket.",
        subcommands = {CtlCommand.Status.class, CtlCommand.Resize.class, CtlCommand.AddContainer.class,
                CtlCommand.RemoveContainer.class, CtlCommand.Containers.class, CtlCommand.Stats.class,
                CtlCommand.Pause.class, CtlCommand.Resume.class, CtlCommand.Shutdown.class, CtlCommand.Events.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:usage error", "3:the API answered with an error", "4:the API socket is unreachable"})
public final class CtlCommand {
    public static final int API_ERROR = 3;
    public static final int UNREACHABLE = 4;

    @Mixin
    ApiTarget target;

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Sends one request and prints the reply (table or JSON); returns the exit code. */
    int call(String method, String path, String body, java.util.function.Consumer<JsonNode> table) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        UnixHttpClient.Response r;
        try {
            r = target.client(spec).send(method, path, body);
        } catch (UnixHttpClient.UnreachableException e) {
            err.println("vmsup ctl: " + e.getMessage());
            return UNREACHABLE;
        } catch (IOException e) {
            err.println("vmsup ctl: " + e.getMessage());
            return UNREACHABLE;
        }
        if (r.status() >= 400) {
            String message = r.body();
            try {
                JsonNode e = JsonTrees.read(r.body());
                message = e.path("error").asText() + ": " + e.path("message").asText();
            } catch (IOException ignored) {
                // not JSON: print as is
            }
            err.println("vmsup ctl: " + r.status() + " " + message);
            return API_ERROR;
        }
        if (r.body().isEmpty()) {
            return 0;
        }
        if (json || table == null) {
            out.println(r.body());
        } else {
            try {
                table.accept(JsonTrees.read(r.body()));
            } catch (IOException e) {
                out.println(r.body());
            }
        }
        out.flush();
        return 0;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Base of the subcommands: reaches the parent's options. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        CtlCommand ctl;
    }

    @Command(name = "status", description = "Sandbox state, cgroups, vCPUs and their threads, limits in force.")
    static final class Status extends Sub {
        @Override
        public Integer call() {
            return ctl.call("GET", "/v1/sandbox", null, s -> {
                PrintWriter o = ctl.out();
                o.printf("sandbox   %s  %s  (QEMU pid %s, cgroup %s, mode %s)%n", s.path("id").asText(),
                        s.path("state").asText(), s.path("qemu_pid").asText(), s.path("cgroup_version").asText(),
                        s.path("mode").asText());
                JsonNode cg = s.path("cgroups");
                o.printf("vmsup     %s%nqemu      %s%nvcpu      %s%n", cg.path("vmsup").asText(), cg.path("qemu").asText(),
                        cg.path("vcpu").asText());
                printVcpus(o, s.path("vcpus"));
                for (JsonNode t : s.path("kernel_threads")) {
                    o.printf("kernel    %s (pid %d) %s%n", t.path("name").asText(), t.path("pid").asInt(),
                            t.path("placed").asBoolean() ? "in " + t.path("cgroup").asText()
                                    : "NOT MOVED: " + t.path("error").asText());
                }
                JsonNode r = s.path("resources");
                o.printf("cpu.max   %s%n", r.path("cpu_quota").isNull() ? "(not enforced)"
                        : (r.path("cpu_quota").asLong() < 0 ? "max" : r.path("cpu_quota").asText()) + " "
                                + r.path("cpu_period").asText());
            });
        }
    }

    static void printVcpus(PrintWriter o, JsonNode v) {
        o.printf("vcpus     %d of max %d%n", v.path("count").asInt(), v.path("max").asInt());
        o.printf("  %-5s %-9s %-8s %s%n", "INDEX", "THREAD", "PLACED", "CGROUP");
        for (JsonNode c : v.path("list")) {
            o.printf("  %-5d %-9d %-8s %s%n", c.path("index").asInt(), c.path("thread_id").asInt(),
                    c.path("placed").asBoolean() ? "yes" : "GONE", c.path("cgroup").asText("-"));
        }
    }

    @Command(name = "resize", description = "Hot(un)plug to N vCPUs; returns once every vCPU is placed.")
    static final class Resize extends Sub {
        @Parameters(index = "0", paramLabel = "N")
        int count;

        @Override
        public Integer call() {
            return ctl.call("PUT", "/v1/sandbox/vcpus", "{\"count\": " + count + "}", v -> printVcpus(ctl.out(), v));
        }
    }

    @Command(name = "add-container", description = "Add or replace a container's resources (OCI LinuxResources).")
    static final class AddContainer extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String cid;

        @Option(names = "--cpu-quota", description = "CFS quota in us per period (-1: none).")
        Long quota;

        @Option(names = "--cpu-period", description = "CFS period in us (1000..1000000).")
        Long period;

        @Option(names = "--cpu-shares", description = "CPU shares (2..262144).")
        Long shares;

        @Option(names = "--cpuset", description = "CPUs, list syntax like 0-3,7.")
        String cpuset;

        @Option(names = "--memory", description = "Memory limit: bytes, or with K, M, G suffix; -1 for none.")
        String memory;

        @Override
        public Integer call() {
            ObjectNode body = JsonTrees.object();
            ObjectNode cpu = body.putObject("cpu");
            if (quota != null) {
                cpu.put("quota", quota);
            }
            if (period != null) {
                cpu.put("period", period);
            }
            if (shares != null) {
                cpu.put("shares", shares);
            }
            if (cpuset != null) {
                cpu.put("cpus", CpuList.parse(cpuset).toString());
            }
            if (memory != null) {
                body.putObject("memory").put("limit", size(memory));
            }
            return ctl.call("PUT", "/v1/containers/" + new ContainerId(cid).value(), JsonTrees.write(body), r -> {
                JsonNode res = r.path("resources");
                ctl.out().printf("container %s set; cpu.max now %s %s; %d vCPUs%n", cid, res.path("cpu_quota").asText(),
                        res.path("cpu_period").asText(), r.path("vcpus").path("count").asInt());
            });
        }

        static long size(String text) {
            String t = text.strip().toUpperCase(Locale.ROOT);
            if (t.equals("-1")) {
                return -1;
            }
            long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                case 'G' -> 1L << 30;
                default -> 1;
            };
            String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
            try {
                return Math.multiplyExact(Long.parseLong(digits), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new ConfigException("--memory", "--memory: " + SandboxId.shown(text) + " is not a size");
            }
        }
    }

    @Command(name = "remove-container", description = "Remove a container; the merged limits are recomputed.")
    static final class RemoveContainer extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String cid;

        @Override
        public Integer call() {
            int code = ctl.call("DELETE", "/v1/containers/" + new ContainerId(cid).value(), null, null);
            if (code == 0 && !ctl.json) {
                ctl.out().println("container " + cid + " removed");
            }
            return code;
        }
    }

    @Command(name = "containers", description = "List the containers' resources.")
    static final class Containers extends Sub {
        @Override
        public Integer call() {
            return ctl.call("GET", "/v1/containers", null, c -> {
                PrintWriter o = ctl.out();
                o.printf("%-20s %-10s %-10s %-8s %-10s %s%n", "ID", "QUOTA", "PERIOD", "SHARES", "CPUS", "MEMORY");
                for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode cpu = e.getValue().path("cpu");
                    o.printf("%-20s %-10s %-10s %-8s %-10s %s%n", e.getKey(), cpu.path("quota").asText("-"),
                            cpu.path("period").asText("-"), cpu.path("shares").asText("-"), cpu.path("cpus").asText("-"),
                            e.getValue().path("memory").path("limit").asText("-"));
                }
            });
        }
    }

    @Command(name = "stats", description = "CPU, throttling, memory and pids per cgroup, and the sandbox overhead "
            + "(--json adds each process and thread group).")
    static final class Stats extends Sub {
        @Override
        public Integer call() {
            return ctl.call("GET", "/v1/stats", null, s -> {
                PrintWriter o = ctl.out();
                o.printf("%-18s %14s %14s %14s %14s %14s %6s%n", "CGROUP", "CPU_US", "THROTTLED_US", "MEM_BYTES",
                        "ANON_BYTES", "FILE_BYTES", "PIDS");
                for (Iterator<Map.Entry<String, JsonNode>> it = s.path("cgroups").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    row(o, e.getKey(), e.getValue());
                }
                row(o, "sandbox_overhead", s.path("sandbox_overhead"));
            });
        }

        private static void row(PrintWriter o, String name, JsonNode v) {
            o.printf("%-18s %14s %14s %14s %14s %14s %6s%n", name, v.path("cpu_usage_us").asText("-"),
                    v.path("cpu_throttled_us").asText("-"), v.path("memory_current_bytes").asText("-"),
                    v.path("memory_anon_bytes").asText("-"), v.path("memory_file_bytes").asText("-"),
                    v.path("pids_current").asText("-"));
        }
    }

    /** PUT /v1/sandbox/actions with one action; prints the state it leads to. */
    int action(String action) {
        return call("PUT", "/v1/sandbox/actions", "{\"action\": \"" + action + "\"}", s -> out().println(
                "sandbox " + (s.has("id") ? s.path("id").asText() + " " : "") + s.path("state").asText()));
    }

    @Command(name = "pause", description = "Pause the vCPUs.")
    static final class Pause extends Sub {
        @Override
        public Integer call() {
            return ctl.action("pause");
        }
    }

    @Command(name = "resume", description = "Resume the vCPUs.")
    static final class Resume extends Sub {
        @Override
        public Integer call() {
            return ctl.action("resume");
        }
    }

    @Command(name = "shutdown", description = "Power the guest down and end the sandbox (vmsup run then exits).")
    static final class Shutdown extends Sub {
        @Override
        public Integer call() {
            return ctl.action("shutdown");
        }
    }

    @Command(name = "events", description = "Print the sandbox's events as they happen, one JSON object per line, "
            + "until the sandbox stops (or --count lines).")
    static final class Events extends Sub {
        @Option(names = "--count", description = "Stop after this many events (default: until the stream ends).")
        Integer count;

        @Override
        public Integer call() {
            PrintWriter out = ctl.out();
            int[] seen = {0};
            try {
                int status = ctl.target.client(ctl.spec).stream("/v1/events", l -> {
                            out.println(l);
                            out.flush();
                            return count == null || ++seen[0] < count;
                        });
                return status == 200 ? 0 : API_ERROR;
            } catch (IOException e) {
                ctl.spec.commandLine().getErr().println("vmsup ctl: " + e.getMessage());
                return UNREACHABLE;
            }
        }
    }
}
