package dev.vmsup.qmp;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The one small daemon scheduler Resilience4j needs for connect backoff and the connect deadline. */
final class Schedulers {
    private static volatile ScheduledExecutorService scheduler;

    private Schedulers() {
    }

    static ScheduledExecutorService get() {
        ScheduledExecutorService s = scheduler;
        if (s == null) {
            synchronized (Schedulers.class) {
                if (scheduler == null) {
                    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "qmp-connect-retry");
                        t.setDaemon(true);
                        return t;
                    });
                }
                s = scheduler;
            }
        }
        return s;
    }
}
