#!/usr/bin/env python3
"""Writes the email corpus the EmailParsing tests read: each message exercises MIME structure,
transfer encodings and charsets the way common mail clients send them. Run it from this folder."""
import base64, quopri

def hdr_b(text, cs): return "=?%s?B?%s?=" % (cs, base64.b64encode(text.encode(cs)).decode())
def hdr_q(text, cs): return "=?%s?Q?%s?=" % (cs, quopri.encodestring(text.encode(cs), header=True).decode())
def b64(data): return base64.encodebytes(data).replace(b"\n", b"\r\n")  # mail uses CRLF throughout
def qp(data): return quopri.encodestring(data).replace(b"\n", b"\r\n")
def write(name, head, body):
    open(name, "wb").write(head.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body)

uk = "Добрий день! Де моє замовлення №1234? Дякую."
write("alternative_qp_base64.eml", f"""From: {hdr_b('Олена Коваль', 'utf-8')} <olena@example.com>
To: support@shop.example
Subject: {hdr_b('Де моє замовлення?', 'utf-8')}
Message-ID: <alt-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"
""", b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    + qp(uk.encode())
    + b"\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + b64(("<p>" + uk + "</p>").encode()) + b"\r\n--b1--\r\n")

ru = "Здравствуйте! Посылка не пришла, прошу проверить заказ."
write("windows1251_8bit.eml", f"""From: ivan@example.ru
Subject: {hdr_b('Где мой заказ?', 'windows-1251')}
Message-ID: <cp1251@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1251
Content-Transfer-Encoding: 8bit
""", ru.encode("windows-1251"))
write("koi8r_qp.eml", f"""From: petr@example.ru
Subject: {hdr_q('Возврат товара', 'koi8-r')}
Message-ID: <koi8@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: quoted-printable
""", qp(ru.encode("koi8-r")))

pl = "Dzień dobry, chciałbym zwrócić zamówienie. Paczka dotarła uszkodzona."
write("iso8859_2_qp.eml", f"""From: jan@example.pl
Subject: {hdr_q('Zwrot zamówienia', 'iso-8859-2')}
Message-ID: <latin2@example.pl>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-2
Content-Transfer-Encoding: quoted-printable
""", qp(pl.encode("iso-8859-2")))

for name, cs, text in [("gb2312_base64.eml", "gb2312", "您好，我的订单还没有到，请帮我查一下。"),
                       ("big5_base64.eml", "big5", "您好，我的訂單還沒有到，請幫我查一下。"),
                       ("shift_jis_base64.eml", "shift_jis", "こんにちは、注文した商品がまだ届いていません。")]:
    write(name, f"""From: customer@example.cn
Subject: {hdr_b(text[:6], cs)}
Message-ID: <{cs}@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset={cs}
Content-Transfer-Encoding: base64
""", b64(text.encode(cs)))

pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8
png = b"\x89PNG\r\n\x1a\n" + bytes(100)
name = hdr_b("faktura-żółw.pdf", "utf-8").encode()
write("mixed_related_nested.eml", """From: "Anna Nowak" <anna@example.pl>
To: support@shop.example
Subject: Re: [#1234] Uszkodzona paczka
Message-ID: <reply-3@example.pl>
In-Reply-To: <agent-2@shop.example>
References: <first-1@example.pl>
 <agent-2@shop.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""", b"--outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
    + b"--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
    + b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "Zdjęcie w załączniku.".encode() + b"\r\n"
    + b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + "<p>Zdjęcie w załączniku. <img src=\"cid:img1\"></p>".encode() + b"\r\n"
    + b"--alt--\r\n"
    + b"--rel\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\nContent-Disposition: inline; filename=\"photo.png\"\r\n"
    + b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(png) + b"--rel--\r\n"
    + b"--outer\r\nContent-Type: application/pdf; name=\"" + name + b"\"\r\nContent-Disposition: attachment; filename=\"" + name
    + b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(pdf) + b"--outer--\r\n")

write("auto_reply.eml", """From: someone@example.com
Subject: Out of office: Re: your order
Message-ID: <ooo@example.com>
Auto-Submitted: auto-replied
X-Autoreply: yes
Content-Type: text/plain; charset=us-ascii
""", b"I am out of the office until Monday.\r\n")

write("bounce_dsn.eml", """From: MAILER-DAEMON@mx.example.com
To: support@shop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r"
""", b"--r\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
    + b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
    + b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    + b"--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@shop.example\r\nTo: gone@example.org\r\nSubject: Your order shipped\r\n\r\nHello\r\n"
    + b"--r--\r\n")

write("html_only_reply.eml", """From: maria@example.com
Subject: Re: Where is my order?
Message-ID: <html-only@example.com>
In-Reply-To: <agent-9@shop.example>
MIME-Version: 1.0
Content-Type: text/html; charset=windows-1252
Content-Transfer-Encoding: quoted-printable
""", qp("<html><body><p>Thanks a lot &mdash; it arrived today.</p><p>Caf\u00e9 au lait!</p></body></html>".encode("windows-1252")))
