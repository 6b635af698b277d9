package dev.vmsup.supervisor.ctl;

import java.nio.file.Path;
import java.time.Duration;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;
import dev.vmsup.supervisor.config.SandboxId;
import dev.vmsup.supervisor.config.Settings;

/** The options that name a running sandbox's API and how long to wait for it (a mixin of ctl and overhead). */
final class ApiTarget {
    @Option(names = "--api-socket", description = "The sandbox's API socket (default: /run/vmsup/<id>/api.sock).")
    Path apiSocket;

    @Option(names = "--id", description = "Sandbox id, to find its socket in the default state dir.")
    String id;

    @Option(names = "--timeout", description = "Seconds to wait for each reply (default: 60).", defaultValue = "60")
    int timeoutSeconds;

    /** {@code --api-socket}, or the default socket of sandbox {@code --id}. */
    Path socket(CommandSpec spec) {
        if (apiSocket != null) {
            return apiSocket;
        }
        if (id != null) {
            return Path.of(Settings.STATE_BASE, new SandboxId(id).value(), Settings.API_SOCKET);
        }
        throw new ParameterException(spec.commandLine(), "give --api-socket PATH or --id ID");
    }

    /** A client for {@link #socket}, after checking {@code --timeout}. */
    UnixHttpClient client(CommandSpec spec) {
        if (timeoutSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout must be at least 1");
        }
        return new UnixHttpClient(socket(spec), Duration.ofSeconds(timeoutSeconds));
    }
}
