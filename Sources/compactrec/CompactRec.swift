import ArgumentParser

@main
struct CompactRec: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compactrec",
    abstract: "Train, compress, evaluate and serve compact recommender models.",
    subcommands: [
      TrainCommand.self, EvaluateCommand.self, RecommendCommand.self, InspectCommand.self,
      DemoCommand.self, BenchCommand.self,
    ])
}
