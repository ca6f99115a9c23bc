import Foundation

/// Where LightGCN's training steps spend their time, summed over every step since the model was
/// made, in seconds. The epoch benchmark reports it per epoch: the machine's speed drifts
/// between runs, so a change to one phase is best judged by that phase's own time, measured in
/// the same run as the others.
public struct StepPhases: Sendable, Equatable {
  /// The half-float copy of E(0) (unless a fused step wrote it) and the full products
  /// E(1) ... E(L-1).
  public var forwardLayers = 0.0
  /// E(L) at the batch's rows, and the final embeddings there.
  public var forwardBatch = 0.0
  /// The BPR loss and its gradient at the batch's rows (with the quantizer and its gradient
  /// estimate when training codes), and the layer-0 term of dE0.
  public var loss = 0.0
  /// The first backward product, pushed from the batch's rows over their edges.
  public var backwardFirst = 0.0
  /// The full backward products between the first and the last.
  public var backwardMiddle = 0.0
  /// The last backward product, with the Adam step fused into it (or dE0 written out).
  public var backwardLast = 0.0

  public init() {}

  /// Each phase's time with its snake_case name, in the order a step runs them.
  public var named: [(name: String, seconds: Double)] {
    [
      ("forward_layers", forwardLayers), ("forward_batch", forwardBatch), ("loss", loss),
      ("backward_first", backwardFirst), ("backward_middle", backwardMiddle),
      ("backward_last", backwardLast),
    ]
  }

  /// The time of all phases.
  public var total: Double { named.reduce(0) { $0 + $1.seconds } }
}
