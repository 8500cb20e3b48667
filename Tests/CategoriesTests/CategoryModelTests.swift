import Crypto
import Foundation
import Testing
@testable import Categories

@Suite("Category classifier (fastText)")
struct CategoryModelTests {
    /// Three categories, said in English, Ukrainian, Polish and Chinese with different words each time.
    static let examples: [CategoryExample] = [
        ("shipping", "where is my parcel it has not arrived yet"),
        ("shipping", "my order still has not been delivered"),
        ("shipping", "when will the package arrive"),
        ("shipping", "the courier did not deliver my parcel today"),
        ("shipping", "tracking number shows no delivery update"),
        ("shipping", "де моя посилка вона досі не прийшла"),
        ("shipping", "коли приїде кур'єр з посилкою"),
        ("shipping", "замовлення ще не доставили"),
        ("shipping", "gdzie jest moja paczka nie dotarła"),
        ("shipping", "kiedy kurier dostarczy przesyłkę"),
        ("shipping", "我的包裹还没有到"),
        ("shipping", "快递什么时候送到"),
        ("returns", "i want to return the shoes they are too small"),
        ("returns", "how do i send back an item for a refund"),
        ("returns", "please take back the damaged chair and refund me"),
        ("returns", "can i exchange the jacket for a larger size"),
        ("returns", "хочу повернути товар він не підійшов"),
        ("returns", "як оформити повернення коштів"),
        ("returns", "поверніть гроші за пошкоджений стілець"),
        ("returns", "chcę zwrócić buty są za małe"),
        ("returns", "jak odesłać towar i odzyskać pieniądze"),
        ("returns", "我想退货并退款"),
        ("returns", "这件衣服太小了可以退换吗"),
        ("billing", "i was charged twice for the same order"),
        ("billing", "the invoice shows the wrong amount"),
        ("billing", "my card payment failed but money was taken"),
        ("billing", "please send me a vat invoice"),
        ("billing", "з картки списали гроші двічі"),
        ("billing", "потрібен рахунок фактура на компанію"),
        ("billing", "оплата не пройшла але гроші зняли"),
        ("billing", "pobrano płatność dwa razy"),
        ("billing", "proszę o fakturę vat na firmę"),
        ("billing", "我被重复扣款了"),
        ("billing", "请给我开发票"),
    ].map { CategoryExample(category: $0.0, text: $0.1) }

    static func trained(quantize: Bool = false, buckets: Int = 50_000) throws -> CategoryModel {
        var options = CategoryTrainingOptions()
        options.threads = 1  // one thread: the same model every run
        options.epochs = 60
        options.buckets = buckets
        options.quantize = quantize
        return try CategoryModel.train(examples, options: options)
    }

    @Test("learns categories from a few examples and recognises new wordings and inflected forms in four languages")
    func learnsAndPredicts() throws {
        let model = try Self.trained()
        #expect(model.categoryCount == 3)
        let unseen: [(String, String)] = [
            ("shipping", "The parcel hasn't arrived, where is it?"),
            ("shipping", "Посилку досі не доставили"),
            ("shipping", "Paczka jeszcze nie dotarła"),
            ("shipping", "包裹什么时候到"),
            ("returns", "I'd like a refund, the shoes are too small"),
            ("returns", "Хочу повернення коштів за товар"),
            ("returns", "Chcę zwrócić towar"),
            ("returns", "我要退货"),
            ("billing", "You charged my card twice"),
            ("billing", "Гроші списали двічі з картки"),
            ("billing", "Potrzebuję faktury VAT"),
            ("billing", "重复扣款"),
        ]
        for (expected, text) in unseen {
            let top = model.predict(text, limit: 3)
            #expect(top.first?.category == expected, "\(text): \(top)")
            #expect(top.allSatisfy { (0...1).contains($0.probability) })
            #expect(top.map(\.probability).reduce(0, +) <= 1.0001)
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        }
        #expect(model.predict("   ").isEmpty)
    }

    @Test("a model read back from its stored bytes predicts what the trained one does; quantising makes it smaller")
    func storedForm() throws {
        let model = try Self.trained()
        let again = try CategoryModel(data: model.data)
        for text in ["where is my parcel", "refund please", "invoice"] {
            #expect(again.predict(text, limit: 3).map(\.category) == model.predict(text, limit: 3).map(\.category))
        }
        // Few buckets: quantising's k-means takes seconds per 10,000 of them.
        let plain = try Self.trained(buckets: 5_000)
        let small = try Self.trained(quantize: true, buckets: 5_000)
        #expect(small.data.count < plain.data.count / 2, "\(small.data.count) bytes quantised, \(plain.data.count) not")
        #expect(small.predict("где моя посылка").first != nil)
    }

    @Test("damaged, truncated or foreign bytes are refused with a reason, never read")
    func damagedModels() throws {
        let model = try Self.trained()
        var flipped = model.data
        flipped[flipped.count - 100] ^= 0xFF
        let envelope = model.data.prefix(model.data.count - (model.data.count - 23 - 32))
        let notFastText = envelope.prefix(23) + Data(SHA256.hash(data: Data("hello".utf8))) + Data("hello".utf8)
        let cases: [(Data, String)] = [
            (flipped, "damaged"),
            (model.data.prefix(model.data.count / 2), "damaged"),
            (Data("not a model at all".utf8), "not a Switchboard category model"),
            (Data(), "not a Switchboard category model"),
            (notFastText, "fastText"),
        ]
        for (bytes, reason) in cases {
            do {
                _ = try CategoryModel(data: bytes)
                Issue.record("\(bytes.count) bad bytes were read as a model")
            } catch let error as CategoryModelError {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test("training refuses one category and names that are not category names")
    func badTraining() throws {
        #expect(throws: CategoryModelError.self) {
            try CategoryModel.train([CategoryExample(category: "shipping", text: "where is it")])
        }
        do {
            _ = try CategoryModel.train([CategoryExample(category: "a b", text: "x"), CategoryExample(category: "c", text: "y")])
            Issue.record("a category name with a space was accepted")
        } catch let error as CategoryModelError {
            #expect(error.description.contains("'a b' is not a category name"))
        }
    }

    @Test("text is one lower-case line with Chinese and Japanese characters apart")
    func normalisation() {
        #expect(CategoryText.normalized("  Where IS\n\tmy  Parcel? ") == "where is my parcel?")
        #expect(CategoryText.normalized("包裹ABC到了") == "包 裹 abc 到 了")
    }
}
