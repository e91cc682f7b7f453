# ruff: noqa: E501, RUF001  # texts for people, in their own scripts, one line each
"""What the person is told when their case changes state outside the dialog: closed by the
office, reopened because they wrote again, or a new conversation begun instead.

Leichte Sprache (`ls`) keeps to one statement per short sentence. A language without texts
here falls back to the flow's default language, then German.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Notice = Literal["closed", "reopened", "new_after_close", "new_conversation", "opened_elsewhere"]

TEXTS: Final[Mapping[Notice, Mapping[str, str]]] = {
    "opened_elsewhere": {
        "de": "Ihr Gespräch wurde mit dem Fall-Code auf einem anderen Gerät geöffnet. Hier "
        "kommen keine Nachrichten mehr an. Wenn Sie das nicht waren: Bitte melden Sie sich "
        "bei der Beratungsstelle.",
        "ls": "Jemand hat Ihr Gespräch auf einem anderen Gerät geöffnet. Mit Ihrem Fall-Code. "
        "Hier kommen jetzt keine Nachrichten mehr an. Waren Sie das nicht? "
        "Dann melden Sie sich bitte bei der Beratungs-Stelle.",
        "en": "Your conversation was opened on another device with the case code. No more "
        "messages arrive here. If that was not you, please contact the counselling office.",
        "ar": "فُتحت محادثتك على جهاز آخر باستخدام رمز الحالة. لن تصل رسائل إلى هنا بعد الآن. "
        "إذا لم تكن أنت من فعل ذلك، يرجى التواصل مع مكتب الاستشارة.",
        "tr": "Konuşmanız vaka koduyla başka bir cihazda açıldı. Buraya artık mesaj gelmeyecek. Bunu siz yapmadıysanız lütfen danışma merkezine başvurun.",
        "uk": "Вашу розмову відкрито на іншому пристрої за допомогою коду звернення. Сюди більше не надходитимуть повідомлення. Якщо це були не Ви, будь ласка, зверніться до консультаційної служби.",
        "ru": "Ваш разговор открыт на другом устройстве с помощью кода обращения. Сюда больше не будут приходить сообщения. Если это были не Вы, пожалуйста, обратитесь в консультационную службу.",
        "pl": "Twoja rozmowa została otwarta kodem sprawy na innym urządzeniu. Tutaj nie będą już docierać wiadomości. Jeśli to nie Ty, skontaktuj się z poradnią.",
        "fa": "گفتگوی شما با کد پرونده روی دستگاه دیگری باز شد. دیگر پیامی به اینجا نمی‌رسد. اگر این کار را شما نکرده‌اید، لطفاً با مرکز مشاوره تماس بگیرید.",
    },
    "closed": {
        "de": "Die Beratungsstelle hat Ihren Fall abgeschlossen. Sie können uns trotzdem "
        "wieder schreiben: Wenn Sie hier schreiben, öffnen wir Ihren Fall wieder.",
        "ls": "Die Beratungs-Stelle hat Ihren Fall beendet. Sie wollen uns wieder schreiben? "
        "Dann schreiben Sie hier. Dann machen wir Ihren Fall wieder auf.",
        "en": "The counselling office has closed your case. You can still write to us: "
        "if you write here, we reopen your case.",
        "ar": "أغلق مكتب الاستشارة حالتك. يمكنك أن تكتب لنا مجددًا: إذا كتبت هنا، نعيد فتح حالتك.",
        "tr": "Danışma merkezi vakanızı kapattı. Bize yine de yazabilirsiniz: Buraya yazarsanız vakanızı yeniden açarız.",
        "uk": "Консультаційна служба закрила Ваше звернення. Ви все одно можете нам написати: якщо Ви напишете тут, ми знову відкриємо Ваше звернення.",
        "ru": "Консультационная служба закрыла Ваше обращение. Вы всё равно можете нам написать: если Вы напишете здесь, мы снова откроем Ваше обращение.",
        "pl": "Poradnia zamknęła Twoją sprawę. Nadal możesz do nas napisać: jeśli napiszesz tutaj, otworzymy Twoją sprawę ponownie.",
        "fa": "مرکز مشاوره پرونده شما را بست. باز هم می‌توانید به ما بنویسید: اگر اینجا بنویسید، پرونده شما را دوباره باز می‌کنیم.",
    },
    "reopened": {
        "de": "Ihr Fall war abgeschlossen. Wir haben ihn wieder geöffnet: "
        "Ihre Nachricht ist bei der Beratungsstelle angekommen.",
        "ls": "Ihr Fall war beendet. Wir haben den Fall wieder auf-gemacht. "
        "Die Beratungs-Stelle hat Ihre Nachricht.",
        "en": "Your case was closed. We have reopened it: "
        "your message has reached the counselling office.",
        "ar": "كانت حالتك مغلقة. أعدنا فتحها: وصلت رسالتك إلى مكتب الاستشارة.",
        "tr": "Vakanız kapatılmıştı. Yeniden açtık: Mesajınız danışma merkezine ulaştı.",
        "uk": "Ваше звернення було закрите. Ми знову його відкрили: Ваше повідомлення надійшло до консультаційної служби.",
        "ru": "Ваше обращение было закрыто. Мы снова его открыли: Ваше сообщение поступило в консультационную службу.",
        "pl": "Twoja sprawa była zamknięta. Otworzyliśmy ją ponownie: Twoja wiadomość dotarła do poradni.",
        "fa": "پرونده شما بسته شده بود. آن را دوباره باز کردیم: پیام شما به مرکز مشاوره رسید.",
    },
    "new_after_close": {
        "de": "Ihr früherer Fall ist abgeschlossen. Hier beginnt ein neues Gespräch; "
        "die Beratungsstelle sieht, dass es zu Ihrem früheren Fall gehört.",
        "ls": "Ihr alter Fall ist beendet. Jetzt beginnt ein neues Gespräch. "
        "Die Beratungs-Stelle sieht: Das Gespräch gehört zu Ihrem alten Fall.",
        "en": "Your earlier case is closed. A new conversation starts here; "
        "the counselling office sees that it belongs to your earlier case.",
        "ar": "حالتك السابقة مغلقة. تبدأ هنا محادثة جديدة، "
        "ويرى مكتب الاستشارة أنها مرتبطة بحالتك السابقة.",
        "tr": "Önceki vakanız kapatıldı. Burada yeni bir konuşma başlıyor; danışma merkezi bunun önceki vakanıza ait olduğunu görür.",
        "uk": "Ваше попереднє звернення закрите. Тут починається нова розмова; консультаційна служба бачить, що вона стосується Вашого попереднього звернення.",
        "ru": "Ваше прежнее обращение закрыто. Здесь начинается новый разговор; консультационная служба видит, что он относится к Вашему прежнему обращению.",
        "pl": "Twoja wcześniejsza sprawa jest zamknięta. Tutaj zaczyna się nowa rozmowa; poradnia widzi, że dotyczy ona Twojej wcześniejszej sprawy.",
        "fa": "پرونده قبلی شما بسته شده است. اینجا گفتگوی تازه‌ای شروع می‌شود؛ مرکز مشاوره می‌بیند که به پرونده قبلی شما مربوط است.",
    },
    "new_conversation": {
        "de": "Hier beginnt ein neues Gespräch. Falls Sie uns früher geschrieben haben: "
        "Jenes Gespräch ist hier nicht mehr gespeichert.",
        "ls": "Jetzt beginnt ein neues Gespräch. Haben Sie uns früher geschrieben? "
        "Das alte Gespräch ist nicht mehr bei uns gespeichert.",
        "en": "A new conversation starts here. If you wrote to us before: "
        "that conversation is no longer stored here.",
        "ar": "تبدأ هنا محادثة جديدة. إذا كنت قد كتبت لنا من قبل: فتلك المحادثة لم تعد محفوظة هنا.",
        "tr": "Burada yeni bir konuşma başlıyor. Daha önce bize yazdıysanız: O konuşma artık burada kayıtlı değil.",
        "uk": "Тут починається нова розмова. Якщо Ви писали нам раніше: та розмова тут більше не зберігається.",
        "ru": "Здесь начинается новый разговор. Если Вы писали нам раньше: тот разговор здесь больше не хранится.",
        "pl": "Tutaj zaczyna się nowa rozmowa. Jeśli pisałeś(-aś) do nas wcześniej: tamta rozmowa nie jest już tu przechowywana.",
        "fa": "اینجا گفتگوی تازه‌ای شروع می‌شود. اگر قبلاً به ما نوشته‌اید: آن گفتگو دیگر اینجا ذخیره نیست.",
    },
}


def text(notice: Notice, language: str, default_language: str = "de") -> str:
    by_language = TEXTS[notice]
    return by_language.get(language) or by_language.get(default_language) or by_language["de"]


CODELESS_CHANNELS: Final = frozenset({"telegram", "signal"})
"""Channels that take no case code: the chat itself is the way back, so no code is shown."""

CODE_NOTES: Final[Mapping[str, Mapping[str, str]]] = {
    # The web chat shows the code in a box of its own with one sentence on what it is for
    # (bot/web/texts.py `case_code_hint`): said there once, not again in the bubble.
    "webchat": {lang: "" for lang in ("de", "ls", "en", "ar", "tr", "uk", "ru", "pl", "fa")},
    # Telegram takes no case code: the chat itself is the way back, so no code is shown.
    "telegram": {
        "de": "Einen Fall-Code brauchen Sie in Telegram nicht: Schreiben Sie einfach hier in "
        "diesem Chat weiter, auch später.",
        "ls": "Sie brauchen in Telegram keinen Fall-Code. Schreiben Sie einfach hier weiter. "
        "Auch später.",
        "en": "You need no case code in Telegram: just keep writing in this chat, also later.",
        "ar": "لا تحتاج إلى رمز حالة في تيليغرام: تابع الكتابة في هذه المحادثة، حتى لاحقًا.",
        "tr": "Telegram'da vaka koduna ihtiyacınız yok: Daha sonra da bu sohbette yazmaya devam edin.",
        "uk": "У Telegram код звернення Вам не потрібен: просто пишіть далі в цьому чаті, також пізніше.",
        "ru": "В Telegram код обращения Вам не нужен: просто продолжайте писать в этом чате, в том числе позже.",
        "pl": "Na Telegramie kod sprawy nie jest potrzebny: po prostu pisz dalej w tym czacie, także później.",
        "fa": "در تلگرام به کد پرونده نیازی ندارید: بعداً هم در همین گفتگو به نوشتن ادامه دهید.",
    },
    # Nor does Signal: the chat is the way back, and it is end-to-end encrypted.
    "signal": {
        "de": "Einen Fall-Code brauchen Sie in Signal nicht: Schreiben Sie einfach hier in "
        "diesem Chat weiter, auch später.",
        "ls": "Sie brauchen in Signal keinen Fall-Code. Schreiben Sie einfach hier weiter. "
        "Auch später.",
        "en": "You need no case code in Signal: just keep writing in this chat, also later.",
        "ar": "لا تحتاج إلى رمز حالة في سيغنال: تابع الكتابة في هذه المحادثة، حتى لاحقًا.",
        "tr": "Signal'de vaka koduna ihtiyacınız yok: Daha sonra da bu sohbette yazmaya devam edin.",
        "uk": "У Signal код звернення Вам не потрібен: просто пишіть далі в цьому чаті, також пізніше.",
        "ru": "В Signal код обращения Вам не нужен: просто продолжайте писать в этом чате, в том числе позже.",
        "pl": "W Signalu kod sprawy nie jest potrzebny: po prostu pisz dalej w tym czacie, także później.",
        "fa": "در سیگنال به کد پرونده نیازی ندارید: بعداً هم در همین گفتگو به نوشتن ادامه دهید.",
    },
    "other": {
        "de": "Ihr Fall-Code: {code}\nBitte schreiben Sie sich diesen Code auf. Mit dem Code "
        "können Sie später wiederkommen. Sie können damit auch das Gespräch löschen lassen.",
        "ls": "Das ist Ihr Fall-Code: {code}\nBitte schreiben Sie den Fall-Code auf.\n"
        "Mit dem Fall-Code können Sie später wieder zu uns kommen.\n"
        "Mit dem Fall-Code können Sie auch alles löschen lassen.",
        "en": "Your case code: {code}\nPlease write this code down. With it you can come back "
        "later. You can also use it to have the conversation deleted.",
        "ar": "رمز حالتك: {code}\nيرجى كتابة هذا الرمز. يمكنك العودة به لاحقًا، "
        "ويمكنك به أيضًا طلب حذف المحادثة.",
        "tr": "Vaka kodunuz: {code}\nLütfen bu kodu not edin. Bu kodla daha sonra geri gelebilirsiniz. Konuşmayı sildirmek için de kullanabilirsiniz.",
        "uk": "Ваш код звернення: {code}\nБудь ласка, запишіть цей код. З ним Ви зможете повернутися пізніше. За його допомогою можна також попросити видалити розмову.",
        "ru": "Ваш код обращения: {code}\nПожалуйста, запишите этот код. С ним Вы сможете вернуться позже. С его помощью можно также попросить удалить разговор.",
        "pl": "Twój kod sprawy: {code}\nZapisz ten kod. Dzięki niemu możesz wrócić później. Możesz go też użyć, aby poprosić o usunięcie rozmowy.",
        "fa": "کد پرونده شما: {code}\nلطفاً این کد را یادداشت کنید. با آن می‌توانید بعداً برگردید. با آن می‌توانید حذف گفتگو را هم درخواست کنید.",
    },
}


def code_note(channel: str, code: str, language: str, default_language: str = "de") -> str:
    """`{case_code_note}` of a handover text: the case code and what it is for, true on the
    person's channel."""
    by_language = CODE_NOTES.get(channel) or CODE_NOTES["other"]
    said = by_language.get(language) or by_language.get(default_language) or by_language["de"]
    return said.format(code=code)
