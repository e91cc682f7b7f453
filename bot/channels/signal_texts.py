# ruff: noqa: E501, RUF001  # texts for people use real typography: en dashes, not hyphens
"""What the Signal adapter itself says (not the flow's questions), in the languages the
adapter speaks; any other conversation language hears German."""

from __future__ import annotations

from typing import Final

from bot.channels.messenger_texts import LINKS
from bot.channels.text_render import Words

LANGUAGES: Final = ("de", "ls", "en", "ar", "tr", "uk", "ru", "pl", "fa")
DEFAULT_LANGUAGE: Final = "de"

T: Final[dict[str, dict[str, str]]] = {
    **LINKS,  # shared with the other messengers
    "privacy": {
        "de": (
            "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
            "• Signal verschlüsselt diesen Chat von Ende zu Ende: Signal selbst kann ihn "
            "nicht lesen.\n"
            "• Wir sehen eine Konto-Kennung von Signal, nicht Ihre Telefonnummer, und "
            "speichern keine Nummer.\n"
            "• Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne Telefonnummer."
            "{webchat}\n"
            "Mit /löschen löschen Sie Ihre Angaben bei uns jederzeit, /hilfe zeigt alle "
            "Befehle.{legal}"
        ),
        "ls": (
            "Ein wichtiger Hinweis:\n"
            "Sie schreiben mit Signal.\n"
            "Signal kann diesen Chat nicht lesen.\n"
            "Wir sehen Ihre Telefon-Nummer nicht.\n"
            "Noch sicherer ist unser Chat im Internet.\n"
            "Dort brauchen Sie keine Telefon-Nummer.{webchat}\n"
            "Sie wollen Ihre Daten bei uns löschen?\n"
            "Dann schreiben Sie: /löschen\n"
            "Hilfe bekommen Sie mit: /hilfe{legal}"
        ),
        "en": (
            "Before we start, a note on privacy:\n"
            "• Signal encrypts this chat end to end: Signal itself cannot read it.\n"
            "• We see a Signal account id, not your phone number, and store no number.\n"
            "• Our web chat is more private still: no account and no phone number.{webchat}\n"
            "With /delete you can delete your data with us at any time; /help lists every "
            "command.{legal}"
        ),
        "ar": (
            "قبل أن نبدأ، ملاحظة حول حماية البيانات:\n"
            "• يشفّر سيغنال هذه المحادثة من طرف إلى طرف: لا يستطيع سيغنال نفسه قراءتها.\n"
            "• نرى معرّف حساب سيغنال، لا رقم هاتفك، ولا نحفظ أي رقم.\n"
            "• المحادثة على موقعنا أكثر خصوصية: بدون حساب وبدون رقم هاتف.{webchat}\n"
            "يمكنك حذف بياناتك لدينا في أي وقت باستخدام /delete، و‏/help تعرض كل الأوامر."
            "{legal}"
        ),
        "tr": "Başlamadan önce veri koruma hakkında bir not:\n• Signal bu sohbeti uçtan uca şifreler: Signal'in kendisi okuyamaz.\n• Telefon numaranızı değil, bir Signal hesap kimliği görürüz ve hiçbir numara kaydetmeyiz.\n• Web sohbetimiz daha da korunaklıdır: hesap ve telefon numarası gerekmez.{webchat}\n/delete ile bizdeki bilgilerinizi istediğiniz zaman silebilirsiniz; /help tüm komutları gösterir.{legal}",
        "uk": "Перш ніж почати, примітка щодо захисту даних:\n• Signal шифрує цей чат наскрізно: сам Signal не може його прочитати.\n• Ми бачимо ідентифікатор облікового запису Signal, а не Ваш номер телефону, і не зберігаємо жодного номера.\n• Наш вебчат захищений ще краще: без облікового запису і без номера телефону.{webchat}\nКомандою /delete Ви будь-коли можете видалити свої дані в нас; /help показує всі команди.{legal}",
        "ru": "Прежде чем начать, замечание о защите данных:\n• Signal шифрует этот чат сквозным шифрованием: сам Signal не может его прочитать.\n• Мы видим идентификатор учётной записи Signal, а не Ваш номер телефона, и не храним никаких номеров.\n• Наш веб-чат защищён ещё лучше: без учётной записи и без номера телефона.{webchat}\nКомандой /delete Вы в любой момент можете удалить свои данные у нас; /help показывает все команды.{legal}",
        "pl": "Zanim zaczniemy, uwaga o ochronie danych:\n• Signal szyfruje ten czat end-to-end: sam Signal nie może go przeczytać.\n• Widzimy identyfikator konta Signal, a nie Twój numer telefonu, i nie zapisujemy żadnego numeru.\n• Nasz czat na stronie jest jeszcze lepiej chroniony: bez konta i bez numeru telefonu.{webchat}\nPoleceniem /delete możesz w każdej chwili usunąć swoje dane u nas; /help pokazuje wszystkie polecenia.{legal}",
        "fa": "پیش از شروع، نکته‌ای درباره حفاظت از داده‌ها:\n• سیگنال این گفتگو را سرتاسری رمزگذاری می‌کند: خود سیگنال نمی‌تواند آن را بخواند.\n• ما شناسه حساب سیگنال را می‌بینیم، نه شماره تلفن شما را، و هیچ شماره‌ای ذخیره نمی‌کنیم.\n• گفتگوی وب‌سایت ما امن‌تر است: بدون حساب و بدون شماره تلفن.{webchat}\nبا /delete هر وقت بخواهید می‌توانید اطلاعات خود را نزد ما پاک کنید؛ /help همه فرمان‌ها را نشان می‌دهد.{legal}",
    },
    "help": {
        "de": (
            "So funktioniert dieser Chat:\n"
            "• Antworten Sie mit der Nummer einer Antwort, mit mehreren Nummern (1, 3) oder "
            "schreiben Sie die Antwort aus.\n"
            "/zurück – zur letzten Frage\n"
            "/neu – neu anfangen\n"
            "/sprache – Sprache wechseln\n"
            "/löschen – Ihre Angaben bei uns löschen\n"
            "/hilfe – diese Hilfe\n"
            "(Auch auf Englisch: /back, /restart, /language, /delete, /help.)"
        ),
        "ls": (
            "So geht dieser Chat:\n"
            "Schreiben Sie die Nummer von einer Antwort.\n"
            "Oder schreiben Sie die Antwort.\n"
            "/zurück: Zur letzten Frage.\n"
            "/neu: Noch einmal von vorn.\n"
            "/sprache: Eine andere Sprache.\n"
            "/löschen: Ihre Daten bei uns löschen.\n"
            "/hilfe: Diese Hilfe."
        ),
        "en": (
            "How this chat works:\n"
            "• Answer with the number of an answer, several numbers (1, 3), or write the "
            "answer out.\n"
            "/back – to the last question\n"
            "/restart – start again\n"
            "/language – change the language\n"
            "/delete – delete your data with us\n"
            "/help – this help"
        ),
        "ar": (
            "هكذا تعمل هذه المحادثة:\n"
            "• أجب برقم الإجابة، أو بعدة أرقام (1، 3)، أو اكتب الإجابة.\n"
            "/back – إلى السؤال السابق\n"
            "/restart – البدء من جديد\n"
            "/language – تغيير اللغة\n"
            "/delete – حذف بياناتك لدينا\n"
            "/help – هذه المساعدة"
        ),
        "tr": "Bu sohbet nasıl işler:\n• Bir cevabın numarasıyla, birkaç numarayla (1, 3) ya da cevabı yazarak yanıtlayın.\n/back – son soruya dön\n/restart – yeniden başla\n/language – dili değiştir\n/delete – bizdeki bilgilerinizi sil\n/help – bu yardım",
        "uk": "Як працює цей чат:\n• Відповідайте номером відповіді, кількома номерами (1, 3) або напишіть відповідь.\n/back – до попереднього питання\n/restart – почати заново\n/language – змінити мову\n/delete – видалити Ваші дані в нас\n/help – ця довідка",
        "ru": "Как работает этот чат:\n• Отвечайте номером ответа, несколькими номерами (1, 3) или напишите ответ.\n/back – к предыдущему вопросу\n/restart – начать заново\n/language – сменить язык\n/delete – удалить Ваши данные у нас\n/help – эта справка",
        "pl": "Jak działa ten czat:\n• Odpowiadaj numerem odpowiedzi, kilkoma numerami (1, 3) albo napisz odpowiedź.\n/back – do poprzedniego pytania\n/restart – zacznij od nowa\n/language – zmień język\n/delete – usuń swoje dane u nas\n/help – ta pomoc",
        "fa": "این گفتگو چطور کار می‌کند:\n• با شماره یک پاسخ، با چند شماره (1، 3) یا با نوشتن پاسخ جواب دهید.\n/back – به پرسش قبلی\n/restart – شروع دوباره\n/language – تغییر زبان\n/delete – پاک کردن اطلاعات شما نزد ما\n/help – این راهنما",
    },
    "language_prompt": {
        "de": "Welche Sprache möchten Sie? Schreiben Sie zum Beispiel: /sprache en\n{languages}",
        "ls": "Welche Sprache wollen Sie? Schreiben Sie zum Beispiel: /sprache en\n{languages}",
        "en": "Which language would you like? Write, for example: /language de\n{languages}",
        "ar": "أي لغة تريد؟ اكتب مثلًا: /language en\n{languages}",
        "tr": "Hangi dili istersiniz? Örneğin şunu yazın: /language tr\n{languages}",
        "uk": "Якою мовою Ви хочете писати? Напишіть, наприклад: /language uk\n{languages}",
        "ru": "На каком языке Вы хотите писать? Напишите, например: /language ru\n{languages}",
        "pl": "W jakim języku chcesz pisać? Napisz na przykład: /language pl\n{languages}",
        "fa": "به کدام زبان می‌خواهید بنویسید؟ برای نمونه بنویسید: /language fa\n{languages}",
    },
    "delete_confirm": {
        "de": (
            "Wirklich alles löschen, was Sie uns hier geschrieben haben? Auch ein Fall bei der "
            "Beratung wird dann gelöscht. Wenn ja, schreiben Sie: /löschen ja"
        ),
        "ls": (
            "Wollen Sie wirklich alles löschen?\n"
            "Dann ist auch Ihr Fall bei der Beratung weg.\n"
            "Wenn ja, schreiben Sie: /löschen ja"
        ),
        "en": (
            "Really delete everything you wrote to us here? A case with the counsellors is "
            "deleted too. If so, write: /delete yes"
        ),
        "ar": (
            "هل تريد حقًا حذف كل ما كتبته لنا هنا؟ تُحذف أيضًا حالتك لدى الاستشارة. "
            "إذا نعم، اكتب: /delete yes"
        ),
        "tr": "Burada bize yazdığınız her şey gerçekten silinsin mi? Danışma ekibindeki vakanız da silinir. Evetse şunu yazın: /delete yes",
        "uk": "Справді видалити все, що Ви нам тут написали? Ваше звернення в консультантів теж буде видалено. Якщо так, напишіть: /delete yes",
        "ru": "Действительно удалить всё, что Вы нам здесь написали? Ваше обращение у консультантов тоже будет удалено. Если да, напишите: /delete yes",
        "pl": "Naprawdę usunąć wszystko, co nam tu napisałeś(-aś)? Twoja sprawa w poradni też zostanie usunięta. Jeśli tak, napisz: /delete yes",
        "fa": "واقعاً هر چه اینجا برای ما نوشته‌اید پاک شود؟ پرونده شما نزد تیم مشاوره هم پاک می‌شود. اگر بله، بنویسید: /delete yes",
    },
    "deleted": {
        "de": (
            "Ihre Angaben bei uns sind gelöscht. Wenn Sie wieder schreiben, beginnt ein neues "
            "Gespräch."
        ),
        "ls": (
            "Ihre Daten bei uns sind jetzt weg.\n"
            "Sie können wieder schreiben. Dann fängt alles neu an."
        ),
        "en": "Your data with us is deleted. If you write again, a new conversation begins.",
        "ar": "تم حذف بياناتك لدينا. إذا كتبت مرة أخرى تبدأ محادثة جديدة.",
        "tr": "Bizdeki bilgileriniz silindi. Yeniden yazarsanız yeni bir konuşma başlar.",
        "uk": "Ваші дані в нас видалено. Якщо Ви напишете знову, почнеться нова розмова.",
        "ru": "Ваши данные у нас удалены. Если Вы напишете снова, начнётся новый разговор.",
        "pl": "Twoje dane u nas zostały usunięte. Jeśli napiszesz ponownie, zacznie się nowa rozmowa.",
        "fa": "اطلاعات شما نزد ما پاک شد. اگر دوباره بنویسید، گفتگوی تازه‌ای شروع می‌شود.",
    },
    "non_text": {
        "de": (
            "Ich kann hier nur Text lesen. Fotos, Sprachnachrichten, Sticker und Dateien "
            "kann ich nicht annehmen; davon wurde nichts gespeichert. Bitte schreiben Sie "
            "Ihre Antwort als Text."
        ),
        "ls": (
            "Ich kann nur Text lesen.\n"
            "Ich kann keine Fotos und keine Sprach-Nachrichten annehmen.\n"
            "Wir haben davon nichts gespeichert.\n"
            "Bitte schreiben Sie Ihre Antwort."
        ),
        "en": (
            "I can only read text here. Photos, voice messages, stickers and files cannot be "
            "taken; nothing of them was stored. Please write your answer as text."
        ),
        "ar": (
            "يمكنني قراءة النص فقط هنا. لا يمكنني استقبال الصور أو الرسائل الصوتية أو الملصقات "
            "أو الملفات، ولم يُحفظ منها شيء. يُرجى كتابة إجابتك نصًا."
        ),
        "tr": "Burada yalnızca metin okuyabiliyorum. Fotoğraf, sesli mesaj, çıkartma ve dosya alamıyorum; bunlardan hiçbiri kaydedilmedi. Lütfen cevabınızı metin olarak yazın.",
        "uk": "Тут я можу читати лише текст. Фото, голосові повідомлення, стікери й файли я не приймаю; нічого з цього не збережено. Будь ласка, напишіть відповідь текстом.",
        "ru": "Здесь я могу читать только текст. Фото, голосовые сообщения, стикеры и файлы я не принимаю; ничего из этого не сохранено. Пожалуйста, напишите ответ текстом.",
        "pl": "Tutaj mogę czytać tylko tekst. Nie przyjmuję zdjęć, wiadomości głosowych, naklejek ani plików; nic z tego nie zostało zapisane. Napisz odpowiedź tekstem.",
        "fa": "اینجا فقط می‌توانم متن بخوانم. عکس، پیام صوتی، استیکر و فایل را نمی‌پذیرم؛ هیچ‌کدام ذخیره نشد. لطفاً پاسخ خود را به‌صورت متن بنویسید.",
    },
    "too_long": {
        "de": "Diese Nachricht ist zu lang (höchstens 10.000 Zeichen). Bitte teilen Sie sie auf.",
        "ls": "Die Nachricht ist zu lang.\nBitte schreiben Sie mehrere kürzere Nachrichten.",
        "en": "This message is too long (at most 10,000 characters). Please split it up.",
        "ar": "هذه الرسالة طويلة جدًا (10000 حرف كحد أقصى). يُرجى تقسيمها.",
        "tr": "Bu mesaj çok uzun (en fazla 10.000 karakter). Lütfen bölün.",
        "uk": "Це повідомлення задовге (щонайбільше 10 000 символів). Будь ласка, розділіть його.",
        "ru": "Это сообщение слишком длинное (не более 10 000 символов). Пожалуйста, разделите его.",
        "pl": "Ta wiadomość jest za długa (najwyżej 10 000 znaków). Podziel ją.",
        "fa": "این پیام بیش از حد طولانی است (حداکثر ۱۰٬۰۰۰ نویسه). لطفاً آن را تقسیم کنید.",
    },
    "slow_down": {
        "de": (
            "Das waren viele Nachrichten in kurzer Zeit. Bitte warten Sie etwas und "
            "schreiben Sie dann noch einmal."
        ),
        "ls": (
            "Sie haben sehr viele Nachrichten geschickt.\n"
            "Bitte warten Sie etwas.\nDann schreiben Sie noch einmal."
        ),
        "en": "That was a lot of messages in a short time. Please wait a while, then write again.",
        "ar": "كانت هذه رسائل كثيرة في وقت قصير. يُرجى الانتظار قليلًا ثم الكتابة مرة أخرى.",
        "tr": "Kısa sürede çok fazla mesaj geldi. Lütfen biraz bekleyin, sonra yeniden yazın.",
        "uk": "Це було багато повідомлень за короткий час. Будь ласка, трохи зачекайте й напишіть знову.",
        "ru": "Это было много сообщений за короткое время. Пожалуйста, немного подождите и напишите снова.",
        "pl": "To było dużo wiadomości w krótkim czasie. Poczekaj chwilę i napisz ponownie.",
        "fa": "در زمان کوتاهی پیام‌های زیادی فرستاده شد. لطفاً کمی صبر کنید و دوباره بنویسید.",
    },
    "busy": {
        "de": (
            "Das hat gerade nicht geklappt. Bitte schreiben Sie Ihre Nachricht gleich noch einmal."
        ),
        "ls": "Das hat nicht geklappt.\nBitte schreiben Sie Ihre Nachricht gleich noch einmal.",
        "en": "That did not work just now. Please send your message again in a moment.",
        "ar": "لم ينجح ذلك الآن. يُرجى إرسال رسالتك مرة أخرى بعد قليل.",
        "tr": "Bu şu anda olmadı. Lütfen mesajınızı biraz sonra yeniden gönderin.",
        "uk": "Зараз це не вдалося. Будь ласка, надішліть повідомлення ще раз трохи згодом.",
        "ru": "Сейчас это не получилось. Пожалуйста, отправьте сообщение ещё раз чуть позже.",
        "pl": "Teraz to się nie udało. Wyślij wiadomość ponownie za chwilę.",
        "fa": "الان انجام نشد. لطفاً پیام خود را کمی بعد دوباره بفرستید.",
    },
}

WORDS: Final[dict[str, Words]] = {
    "de": Words(
        bot="Automatische Antwort:",
        counsellor="Nachricht von der Beratung (ein Mensch schreibt):",
        pick_one="Antworten Sie mit der Nummer oder schreiben Sie die Antwort.",
        pick_several="Sie können mehrere Nummern schreiben, zum Beispiel: 1, 3",
        or_number="Oder antworten Sie mit einer Nummer.",
        back="/zurück – zur letzten Frage",
        restart="/neu – neu anfangen",
    ),
    "ls": Words(
        bot="Automatische Antwort vom Computer:",
        counsellor="Nachricht von der Beratung. Ein Mensch schreibt:",
        pick_one="Schreiben Sie die Nummer von Ihrer Antwort.",
        pick_several="Sie können mehrere Nummern schreiben. Zum Beispiel: 1, 3",
        or_number="Oder schreiben Sie eine Nummer.",
        back="/zurück: Zur letzten Frage.",
        restart="/neu: Noch einmal von vorn.",
    ),
    "en": Words(
        bot="Automatic reply:",
        counsellor="Message from the counselling team (a person is writing):",
        pick_one="Answer with the number, or write the answer.",
        pick_several="You can write several numbers, for example: 1, 3",
        or_number="Or answer with a number.",
        back="/back – to the last question",
        restart="/restart – start again",
    ),
    "ar": Words(
        bot="رد آلي:",
        counsellor="رسالة من فريق الاستشارة (يكتب شخص حقيقي):",
        pick_one="أجب بالرقم أو اكتب الإجابة.",
        pick_several="يمكنك كتابة عدة أرقام، مثلًا: 1، 3",
        or_number="أو أجب برقم.",
        back="/back – إلى السؤال السابق",
        restart="/restart – البدء من جديد",
    ),
    "tr": Words(
        bot="Otomatik yanıt:",
        counsellor="Danışma ekibinden mesaj (bir insan yazıyor):",
        pick_one="Numarayla cevap verin ya da cevabı yazın.",
        pick_several="Birkaç numara yazabilirsiniz, örneğin: 1, 3",
        or_number="Ya da bir numarayla cevap verin.",
        back="/back – son soruya dön",
        restart="/restart – yeniden başla",
    ),
    "uk": Words(
        bot="Автоматична відповідь:",
        counsellor="Повідомлення від консультантів (пише людина):",
        pick_one="Відповідайте номером або напишіть відповідь.",
        pick_several="Можна написати кілька номерів, наприклад: 1, 3",
        or_number="Або відповідайте номером.",
        back="/back – до попереднього питання",
        restart="/restart – почати заново",
    ),
    "ru": Words(
        bot="Автоматический ответ:",
        counsellor="Сообщение от консультантов (пишет человек):",
        pick_one="Отвечайте номером или напишите ответ.",
        pick_several="Можно написать несколько номеров, например: 1, 3",
        or_number="Или отвечайте номером.",
        back="/back – к предыдущему вопросу",
        restart="/restart – начать заново",
    ),
    "pl": Words(
        bot="Odpowiedź automatyczna:",
        counsellor="Wiadomość od poradni (pisze człowiek):",
        pick_one="Odpowiedz numerem albo napisz odpowiedź.",
        pick_several="Możesz napisać kilka numerów, na przykład: 1, 3",
        or_number="Albo odpowiedz numerem.",
        back="/back – do poprzedniego pytania",
        restart="/restart – zacznij od nowa",
    ),
    "fa": Words(
        bot="پاسخ خودکار:",
        counsellor="پیام از تیم مشاوره (یک انسان می‌نویسد):",
        pick_one="با شماره پاسخ دهید یا پاسخ را بنویسید.",
        pick_several="می‌توانید چند شماره بنویسید، برای نمونه: 1، 3",
        or_number="یا با یک شماره پاسخ دهید.",
        back="/back – به پرسش قبلی",
        restart="/restart – شروع دوباره",
    ),
}


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str | None, **values: str) -> str:
    return T[key][language_of(language)].format(**values)


def words(language: str | None) -> Words:
    return WORDS[language_of(language)]
