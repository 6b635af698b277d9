package dev.vmsup.qmp;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one small daemon scheduler Resilience4j needs for connect backoff and the connect deadline; its thread ends
 * a second after the last connect.
 */
final class Schedulers {
    private static volatile ScheduledExecutorService scheduler;

    private Schedulers() {
    }

    static ScheduledExecutorService get() {
        ScheduledExecutorService s = scheduler;
        if (s == null) {
            synchronized (Schedulers.class) {
                if (scheduler == null) {
                    ScheduledThreadPoolExecutor one = new ScheduledThreadPoolExecutor(1, r -> {
                        Thread t = new Thread(r, "qmp-connect-retry");
                        t.setDaemon(true);
                        return t;
                    });
                    // its thread is needed while a connect is tried, not for the supervisor's life
                    one.setKeepAliveTime(1, TimeUnit.SECONDS);
                    one.allowCoreThreadTimeOut(true);
                    one.setRemoveOnCancelPolicy(true);
                    scheduler = one;
                }
                s = scheduler;
            }
        }
        return s;
    }
}
