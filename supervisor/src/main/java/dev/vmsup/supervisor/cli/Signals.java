package dev.vmsup.supervisor.cli;

import java.util.function.Consumer;

import sun.misc.Signal;

/** SIGTERM and SIGINT become a stop request instead of an abrupt JVM exit. */
final class Signals {
    private Signals() {
    }

    static void onTermination(Consumer<String> stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), s -> stop.accept("SIG" + s.getName()));
        }
    }
}
