import CompactRecKit
import Foundation

/// Draws training progress (epoch, batch, loss, speed, ETA) on one terminal line of standard error,
/// at most ten times a second, and stays silent when standard error is not a terminal
/// (logs, CI), unless `verbose` asks for one line per epoch.
final class ProgressDisplay {
  private let interactive: Bool
  private let verbose: Bool
  private var lastDraw = Date.distantPast
  private var rate = TrainingRate()

  init(verbose: Bool = false) {
    interactive = isatty(STDERR_FILENO) == 1
    self.verbose = verbose
  }

  /// Whether anything is shown at all.
  var isActive: Bool { interactive || verbose }

  func handle(_ event: TrainingEvent) {
    switch event {
    case .batch(let epoch, let epochs, let batch, let batches, let loss, let elapsed):
      let (perEpoch, eta) = rate.update(epoch: epoch, epochs: epochs, batch: batch, batches: batches, elapsed: elapsed)
      guard interactive, Date().timeIntervalSince(lastDraw) > 0.1 || batch == batches else { return }
      lastDraw = Date()
      draw(
        String(
          format: "epoch %d/%d  batch %d/%d  loss %.4f  %@ per epoch  ETA %@ (upper bound)", epoch, epochs, batch,
          batches, loss, duration(perEpoch), duration(eta)))
    case .epoch(let epoch, let epochs, let loss, let seconds):
      line(String(format: "epoch %d/%d  loss %.4f  %.1fs", epoch, epochs, loss, seconds))
    case .validation(let epoch, let metric, let value, let best, let improved):
      line(
        String(format: "epoch %d  validation %@ %.4f  best %.4f%@", epoch, metric, value, best, improved ? "  *" : ""))
    case .earlyStop(let epoch, let bestEpoch):
      line("early stop at epoch \(epoch): no validation improvement since epoch \(bestEpoch)")
    }
  }

  /// A free-form status line (for example "loading data").
  func status(_ text: String) { if interactive { draw(text) } }

  /// Clears the progress line.
  func finish() { if interactive { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) } }

  private func draw(_ text: String) {
    FileHandle.standardError.write("\r\u{1B}[K\(text)".data(using: .utf8)!)
  }

  private func line(_ text: String) {
    guard isActive else { return }
    FileHandle.standardError.write(((interactive ? "\r\u{1B}[K" : "") + text + "\n").data(using: .utf8)!)
  }

  private func duration(_ s: Double) -> String {
    guard s.isFinite else { return "?" }
    let t = Int(s.rounded())
    return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
  }
}
