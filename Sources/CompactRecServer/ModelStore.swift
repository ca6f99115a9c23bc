import Dispatch
import Foundation
import Logging

/// The models in service, by name: one current `ServedModel` snapshot each.
///
/// A reload loads and verifies the file into a new snapshot beside the old one, then swaps
/// one reference; requests hold the snapshot they took, so in-flight requests finish on it.
/// A file that fails to load is refused and the old snapshot keeps serving (Triton's rule).
/// Reloads run one at a time, on a thread of their own.
public final class ModelStore: @unchecked Sendable {
  // @unchecked: `current` and `draining` are only touched under `lock`; reloads are serialized
  // on `reloads`.

  /// What one reload of one model did.
  public struct ReloadOutcome: Sendable, Equatable {
    public enum Result: String, Sendable {
      /// The new file is in service.
      case reloaded
      /// The file is as it was (only file-change reloads skip it).
      case unchanged
      /// The new file was refused; the old model keeps serving.
      case failed
    }
    public var model: String
    public var result: Result
    /// The checksum now in service.
    public var checksum: String
    /// Why the file was refused.
    public var error: String?
  }

  private let sources: [ModelSource]
  private let batchWait: Duration
  private let metrics: ServerMetrics
  private let logger: Logger
  private let lock = NSLock()
  private var current: [String: ServedModel]
  private var draining = false
  private let reloads = DispatchQueue(label: "compactrec.reload")
  /// Per model, the stamp of the last file refused, so that the watcher does not retry a bad
  /// file every second. Only touched on `reloads`.
  private var refused: [String: FileStamp?] = [:]

  /// Loads every source; throws on the first that fails (a server does not start half-loaded).
  init(sources: [ModelSource], batchWait: Duration, metrics: ServerMetrics, logger: Logger) throws {
    var seen = Set<String>()
    for source in sources where !seen.insert(source.name).inserted {
      throw ServerSetupError("two model files are named '\(source.name)': name them with NAME=PATH")
    }
    guard !sources.isEmpty else { throw ServerSetupError("no model file to serve") }
    self.sources = sources
    self.batchWait = batchWait
    self.metrics = metrics
    self.logger = logger
    var loaded: [String: ServedModel] = [:]
    for source in sources {
      let model = try ServedModel.load(source, batchWait: batchWait, onBatch: { metrics.batch(queries: $0) })
      logger.info(
        "loaded model",
        metadata: [
          "model": "\(source.name)", "kind": "\(model.kind)", "bytes": "\(model.fileBytes)",
          "seconds": "\(String(format: "%.3f", model.loadSeconds))",
        ])
      loaded[source.name] = model
    }
    current = loaded
    metrics.setModelsLoaded(loaded.count)
  }

  /// The snapshot in service under `name`.
  public func model(_ name: String) -> ServedModel? { lock.withLock { current[name] } }

  /// Every snapshot in service, in the order the models were given.
  public func all() -> [ServedModel] {
    let snapshot = lock.withLock { current }
    return sources.compactMap { snapshot[$0.name] }
  }

  /// Whether a model of that name is served.
  public func serves(_ name: String) -> Bool { sources.contains { $0.name == name } }

  /// Stops every sequential model's batcher from waiting for company, now and after any later
  /// reload (see `DynamicBatcher.drain()`): called when graceful shutdown begins.
  public func drainBatchers() {
    let models = lock.withLock {
      draining = true
      return Array(current.values)
    }
    for model in models { model.batcher?.drain() }
  }

  /// Reloads the named models (all when nil). With `onlyChanged`, a model whose file still has
  /// the stamp it was loaded with is left alone (the file watcher's check).
  public func reload(_ names: [String]? = nil, onlyChanged: Bool = false) async -> [ReloadOutcome] {
    await withCheckedContinuation { continuation in
      reloads.async { continuation.resume(returning: self.reloadNow(names, onlyChanged: onlyChanged)) }
    }
  }

  private func reloadNow(_ names: [String]?, onlyChanged: Bool) -> [ReloadOutcome] {
    sources.filter { names?.contains($0.name) ?? true }.map { source in
      let old = model(source.name)!
      let stamp = FileStamp(path: source.path)
      if onlyChanged, stamp == old.stamp || refused[source.name] == .some(stamp) {
        return ReloadOutcome(model: source.name, result: .unchanged, checksum: old.checksum)
      }
      do {
        let metrics = self.metrics
        let fresh = try ServedModel.load(source, batchWait: batchWait, onBatch: { metrics.batch(queries: $0) })
        let drain = lock.withLock {
          current[source.name] = fresh
          return draining
        }
        if drain { fresh.batcher?.drain() }
        refused[source.name] = nil
        metrics.reload(model: source.name, ok: true)
        logger.info(
          "reloaded model",
          metadata: ["model": "\(source.name)", "checksum": "\(fresh.checksum)", "previous": "\(old.checksum)"])
        return ReloadOutcome(model: source.name, result: .reloaded, checksum: fresh.checksum)
      } catch {
        refused[source.name] = .some(stamp)
        metrics.reload(model: source.name, ok: false)
        logger.error(
          "reload refused; the old model keeps serving", metadata: ["model": "\(source.name)", "error": "\(error)"])
        return ReloadOutcome(model: source.name, result: .failed, checksum: old.checksum, error: "\(error)")
      }
    }
  }
}
