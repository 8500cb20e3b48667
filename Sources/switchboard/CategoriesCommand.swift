import ArgumentParser
import Categories
import CommandSupport
import Foundation
import Postgres

/// `switchboard categories …`: the category classifier learnt from labelled examples.
struct CategoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "categories",
        abstract: "Train and evaluate the category classifier on the labelled examples (category_examples).",
        subcommands: [Train.self, Evaluate.self]
    )

    struct TrainingOptions: ParsableArguments {
        @Option(help: "A prediction less likely than this leaves the conversation uncategorised.") var threshold = 0.5
        @Option(help: "Passes over the training examples (default: 100 up to 4,000 examples, fewer above, at least 25).") var epochs: Int?
        @Flag(help: "Product-quantise the model: several times smaller, a little less accurate.") var quantize = false
        @Option(help: "The training's random seed: another one shows how far the figures move by chance alone.") var seed = 1

        var training: CategoryTraining {
            var options = CategoryTrainingOptions()
            options.epochs = epochs
            options.quantize = quantize
            options.seed = seed
            return CategoryTraining(options: options, threshold: threshold)
        }

        func validate() throws {
            guard (0...1).contains(threshold) else { throw ValidationError("--threshold is a probability, from 0 to 1; got \(threshold)") }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1; got \(epochs)") }
        }
    }

    /// Trains and evaluates, stores the version when `store` is set, and prints what it did.
    static func train(store: Bool, database: DatabaseOptions, options: TrainingOptions, perLanguage: Bool = false) async throws {
        var configured = options.training
        configured.perLanguage = perLanguage
        let training = configured
        let outcome = try await JobsCommand.withConnection(database) { connection in try training.run(store: store, on: connection) }
        let made = String(format: "%d training examples, trained in %.1f s, %.1f MB; a prediction takes %.0f µs (median)",
                          outcome.trainingExamples, outcome.trainingSeconds, Double(outcome.model.data.count) / 1_048_576,
                          outcome.medianPredictionMicroseconds)
        print(outcome.version.map { "stored category model version \($0): \(made)" } ?? made)
        print(outcome.evaluation.report)
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on four fifths of the examples, evaluate it on the rest, and store it as a new version.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: TrainingOptions

        func run() async throws {
            try await CategoriesCommand.train(store: true, database: database, options: options)
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train on four fifths of the examples and print how the model does on the rest, without storing it.",
            discussion: """
                Prints accuracy overall and per language, precision and recall per category, how the rules alone, the model \
                alone and the rules then the model (what ingest does) compare, and a confusion matrix per language.
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: TrainingOptions
        @Flag(help: "Train one model per language instead of one for all, to compare the two (the worker uses one).")
        var perLanguage = false

        func run() async throws {
            try await CategoriesCommand.train(store: false, database: database, options: options, perLanguage: perLanguage)
        }
    }
}
