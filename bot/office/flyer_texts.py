# ruff: noqa: RUF001  # texts for people in their own scripts and real typography
"""What the outreach flyers and posters say, in every language of the intake.

The six languages beyond German, Leichte Sprache and English are drafts not yet reviewed by
a speaker (as in the intake); the console says so where a flyer is made in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class FlyerText:
    title: str
    promise: str
    web: str
    """Beside the QR code of the web chat."""
    telegram: str
    """Beside the QR code of the Telegram bot."""
    hours: str
    """Before the office hours."""


FLYER: Final[dict[str, FlyerText]] = {
    "de": FlyerText(
        title="Diskriminierung erlebt?",
        promise="Schreiben Sie uns. Anonym, kostenlos und vertraulich: Sie brauchen keinen "
        "Namen und keine Telefonnummer.",
        web="Im Chat auf unserer Website",
        telegram="In Telegram",
        hours="Schreiben können Sie jederzeit. Die Beratung antwortet:",
    ),
    "ls": FlyerText(
        title="Wurden Sie schlecht behandelt?",
        promise="Schreiben Sie uns.\nSie müssen Ihren Namen nicht sagen.\n"
        "Die Beratung kostet kein Geld.",
        web="Im Chat auf unserer Internet-Seite",
        telegram="In Telegram",
        hours="Sie können immer schreiben. Die Beratung antwortet:",
    ),
    "en": FlyerText(
        title="Experienced discrimination?",
        promise="Write to us. Anonymous, free and confidential: you need no name and no phone "
        "number.",
        web="In the chat on our website",
        telegram="On Telegram",
        hours="You can write at any time. The counsellors answer:",
    ),
    "tr": FlyerText(
        title="Ayrımcılığa mı uğradınız?",
        promise="Bize yazın. Anonim, ücretsiz ve gizli: adınızı veya telefon numaranızı "
        "vermeniz gerekmez.",
        web="Web sitemizdeki sohbette",
        telegram="Telegram'da",
        hours="İstediğiniz zaman yazabilirsiniz. Danışmanlar şu saatlerde cevap verir:",
    ),
    "ar": FlyerText(
        title="هل تعرّضت للتمييز؟",
        promise="اكتب إلينا. بدون اسم، مجانًا وبسرية: لا تحتاج إلى ذكر اسمك أو رقم هاتفك.",
        web="في المحادثة على موقعنا",
        telegram="على تيليغرام",
        hours="يمكنك الكتابة في أي وقت. يردّ المستشارون في هذه الأوقات:",
    ),
    "uk": FlyerText(
        title="Зазнали дискримінації?",
        promise="Напишіть нам. Анонімно, безкоштовно і конфіденційно: не потрібно називати "
        "ім'я чи номер телефону.",
        web="У чаті на нашому сайті",
        telegram="У Telegram",
        hours="Писати можна будь-коли. Консультанти відповідають:",
    ),
    "ru": FlyerText(
        title="Столкнулись с дискриминацией?",
        promise="Напишите нам. Анонимно, бесплатно и конфиденциально: не нужно называть имя "
        "или номер телефона.",
        web="В чате на нашем сайте",
        telegram="В Telegram",
        hours="Писать можно в любое время. Консультанты отвечают:",
    ),
    "pl": FlyerText(
        title="Spotkała Cię dyskryminacja?",
        promise="Napisz do nas. Anonimowo, bezpłatnie i poufnie: nie trzeba podawać imienia "
        "ani numeru telefonu.",
        web="Na czacie na naszej stronie",
        telegram="Na Telegramie",
        hours="Pisać można o każdej porze. Doradcy odpowiadają:",
    ),
    "fa": FlyerText(
        title="تبعیض را تجربه کرده‌اید؟",
        promise="به ما بنویسید. ناشناس، رایگان و محرمانه: لازم نیست نام یا شماره تلفن خود را "
        "بدهید.",
        web="در گفتگوی وب‌سایت ما",
        telegram="در تلگرام",
        hours="هر وقت بخواهید می‌توانید بنویسید. مشاوران در این ساعات پاسخ می‌دهند:",
    ),
}
UNREVIEWED: Final = frozenset({"tr", "ar", "uk", "ru", "pl", "fa"})
RTL: Final = frozenset({"ar", "fa"})
HTML_LANG: Final = {"ls": "de"}
