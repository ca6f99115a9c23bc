import ServiceLifecycle

/// The first service to hear graceful shutdown: it drains every model's batcher
/// (`ModelStore.drainBatchers()`) and returns, so that the HTTP server, shut down next, finishes
/// its sequential requests at once instead of after the batch window.
struct BatchDrain: Service {
  let store: ModelStore

  func run() async throws {
    do {
      try await gracefulShutdown()
    } catch {
      return  // cancelled: the group is going down without waiting for requests
    }
    store.drainBatchers()
  }
}
