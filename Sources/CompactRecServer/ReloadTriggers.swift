import Logging
import ServiceLifecycle
import UnixSignals

/// The reload triggers that run beside the HTTP server: SIGHUP reloads every model, and a
/// watcher reloads a model whose file was replaced (checked every `interval`). Both stop at
/// graceful shutdown.
struct ReloadTriggers: Service {
  let store: ModelStore
  let interval: Duration?
  let logger: Logger

  func run() async throws {
    await cancelWhenGracefulShutdown {
      await withTaskGroup(of: Void.self) { group in
        group.addTask {
          for await _ in await UnixSignalsSequence(trapping: .sighup) {
            logger.info("SIGHUP: reloading every model")
            _ = await store.reload()
          }
        }
        if let interval {
          group.addTask {
            while (try? await Task.sleep(for: interval)) != nil {
              _ = await store.reload(onlyChanged: true)
            }
          }
        }
      }
    }
  }
}
