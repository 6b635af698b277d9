package dev.vmsup.supervisor.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import dev.vmsup.supervisor.SupervisorException;



/**
 * systemd's manager on the system bus (dbus-java): a transient scope unit for a sandbox, delegated
 * ({@code Delegate=yes}) so that vmsup manages the cgroups inside it, started with vmsup's pid in it and stopped at
 * the end; each call waits for its job to finish ({@code JobRemoved}) within a deadline.
 */
public final class SystemdManager implements AutoCloseable {
    private static final String BUS_NAME = "org.freedesktop.systemd1";
    private static final String OBJECT = "/org/freedesktop/systemd1";
    /** The system bus socket, where systemd's D-Bus daemon listens. */
    public static final Path SYSTEM_BUS = Path.of("/run/dbus/system_bus_socket");

    /** org.freedesktop.systemd1.Manager, the methods vmsup calls. */
    @DBusInterfaceName("org.freedesktop.systemd1.Manager")
    public interface Manager extends DBusInterface {
        void Subscribe();

        DBusPath StartTransientUnit(String name, String mode, List<Property> properties, List<AuxUnit> aux);

        DBusPath StopUnit(String name, String mode);

        DBusPath GetUnit(String name);

        /** A job finished: its id, path, unit and result ("done", "failed", "canceled", ...). */
        class JobRemoved extends DBusSignal {
            final DBusPath job;
            final String unit;
            final String result;

            public JobRemoved(String path, UInt32 id, DBusPath job, String unit, String result) throws DBusException {
                super(path, id, job, unit, result);
                this.job = job;
                this.unit = unit;
                this.result = result;
            }
        }
    }

    /** A unit property: name and value (D-Bus {@code (sv)}). */
    public static final class Property extends Struct {
        @Position(0)
        public final String name;
        @Position(1)
        public final Variant<?> value;

        public Property(String name, Variant<?> value) {
            this.name = name;
            this.value = value;
        }
    }

    /** An auxiliary unit (D-Bus {@code (sa(sv))}); vmsup sends none. */
    public static final class AuxUnit extends Struct {
        @Position(0)
        public final String name;
        @Position(1)
        public final List<Property> properties;

        public AuxUnit(String name, List<Property> properties) {
            this.name = name;
            this.properties = properties;
        }
    }

    private final DBusConnection bus;
    private final Manager manager;
    private final ConcurrentHashMap<String, CompletableFuture<String>> jobs = new ConcurrentHashMap<>();
    private final AutoCloseable handler;

    private SystemdManager(DBusConnection bus) throws DBusException {
        this.bus = bus;
        this.manager = bus.getRemoteObject(BUS_NAME, OBJECT, Manager.class);
        this.handler = bus.addSigHandler(Manager.JobRemoved.class, s -> jobs
                .computeIfAbsent(s.job.getPath(), k -> new CompletableFuture<>()).complete(s.result));
        manager.Subscribe();
    }

    /** True if PID 1 is systemd and its system bus has a socket (the rule of systemd_cgroup = "auto"). */
    public static boolean runsThisHost(Path procRoot) {
        try {
            return Files.readString(procRoot.resolve("1/comm")).strip().equals("systemd") && Files.exists(SYSTEM_BUS);
        } catch (IOException e) {
            return false;
        }
    }

    /** Connects to the system bus. */
    public static SystemdManager connect() {
        try {
            return new SystemdManager(DBusConnectionBuilder.forSystemBus().withShared(false).build());
        } catch (DBusException | RuntimeException e) {
            throw new SupervisorException("cannot reach systemd on the system bus (" + SYSTEM_BUS + ")", e);
        }
    }

    /**
     * Starts transient scope {@code unit} in {@code slice} with {@code pid} in it, delegated, and waits until
     * systemd's job is done.
     */
    public void startScope(String unit, String slice, String description, long pid, Duration deadline) {
        List<Property> properties = List.of(
                new Property("Description", new Variant<>(description)),
                new Property("Slice", new Variant<>(slice)),
                new Property("Delegate", new Variant<>(Boolean.TRUE)),
                new Property("PIDs", new Variant<>(List.of(new UInt32(pid)), "au")));
        DBusPath job;
        try {
            job = manager.StartTransientUnit(unit, "fail", properties, List.of());
        } catch (DBusExecutionException e) {
            throw new SupervisorException("systemd refused to start scope " + unit + " in " + slice, e);
        }
        awaitJob("start " + unit, job, deadline);
    }

    /** Stops {@code unit} and waits for its job; a unit that no longer exists is already stopped. */
    public void stopUnit(String unit, Duration deadline) {
        DBusPath job;
        try {
            job = manager.StopUnit(unit, "fail");
        } catch (DBusExecutionException e) {
            if (String.valueOf(e.getMessage()).contains("not loaded") || e.getClass().getName().contains("NoSuchUnit")
                    || String.valueOf(e.getType()).contains("NoSuchUnit")) {
                return;
            }
            throw new SupervisorException("systemd refused to stop " + unit, e);
        }
        awaitJob("stop " + unit, job, deadline);
    }

    /** Connects, stops {@code unit} (if systemd still has it) and waits: cleanup after a dead supervisor. */
    public static void stopNow(String unit) {
        try (SystemdManager m = connect()) {
            m.stopUnit(unit, Duration.ofSeconds(30));
        }
    }

    private void awaitJob(String what, DBusPath job, Duration deadline) {
        CompletableFuture<String> done = jobs.computeIfAbsent(job.getPath(), k -> new CompletableFuture<>());
        try {
            String result = done.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            if (!result.equals("done")) {
                throw new SupervisorException("systemd job to " + what + " ended '" + result + "'");
            }
        } catch (TimeoutException e) {
            throw new SupervisorException("systemd job to " + what + " did not finish within " + deadline.toSeconds()
                    + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SupervisorException("interrupted waiting for systemd to " + what);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SupervisorException("systemd job to " + what + " failed", e.getCause());
        } finally {
            jobs.remove(job.getPath());
        }
    }

    @Override
    public void close() {
        try {
            handler.close();
        } catch (Exception ignored) {
            // closing the bus below ends it anyway
        }
        try {
            bus.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }
}
