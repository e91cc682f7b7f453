# ruff: noqa: E501, RUF001  # texts for people use real typography: en dashes, not hyphens
"""The Telegram channel's own texts, in every language it speaks.

The dialog itself (questions, answers, crisis numbers) comes from the flow; these are the
messages only the Telegram adapter sends: the privacy notice at the first contact, the reply
to voice messages and photos, the refusal of groups, help, language choice and deletion.
Each key has a text in each of `LANGUAGES` (tests/unit/test_telegram_render.py checks it,
and that placeholders match).

Languages as in bot/web/texts.py: `de` German, `ls` Leichte Sprache (Easy German, DIN SPEC
33429), `en` English, `ar` Arabic. To add one: add its code to `LANGUAGES` and
`LANGUAGE_NAMES`, and a text under every key.
"""

from __future__ import annotations

from typing import Final

from bot.channels.messenger_texts import LINKS

LANGUAGES: Final = ("de", "ls", "en", "ar", "tr", "uk", "ru", "pl", "fa")
DEFAULT_LANGUAGE: Final = "de"
LANGUAGE_NAMES: Final = {
    "de": "Deutsch",
    "ls": "Leichte Sprache",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "uk": "Українська",
    "ru": "Русский",
    "pl": "Polski",
    "fa": "فارسی",
}
"""Each language's name in itself, for the /language buttons."""

T: Final[dict[str, dict[str, str]]] = {
    **LINKS,  # shared with the other messengers
    "privacy": {
        "de": (
            "Bevor es losgeht, ein Hinweis zum Datenschutz:\n"
            "• Für Telegram brauchen Sie ein Konto mit Ihrer Telefonnummer.\n"
            "• Telegram speichert Chats mit Bots auf seinen Servern, auch diesen Chat.\n"
            "• Wir sehen Ihre Telefonnummer nicht und fragen nicht danach.\n"
            "Noch besser geschützt ist unser Web-Chat: ohne Konto und ohne Telefonnummer."
            "{webchat}\n"
            "Mit /delete löschen Sie Ihre Angaben bei uns jederzeit.{legal}"
        ),
        "ls": (
            "Ein wichtiger Hinweis:\n"
            "Sie schreiben mit Telegram.\n"
            "Für Telegram brauchen Sie Ihre Telefon-Nummer.\n"
            "Telegram speichert diesen Chat.\n"
            "Wir sehen Ihre Telefon-Nummer nicht.\n"
            "Noch sicherer ist unser Chat im Internet.\n"
            "Dort brauchen Sie keine Telefon-Nummer.{webchat}\n"
            "Sie wollen Ihre Daten bei uns löschen?\n"
            "Dann schreiben Sie: /delete{legal}"
        ),
        "en": (
            "Before we start, a note on privacy:\n"
            "• Telegram needs an account with your phone number.\n"
            "• Telegram keeps chats with bots on its servers, this chat too.\n"
            "• We do not see your phone number and never ask for it.\n"
            "Our web chat is more private: no account and no phone number.{webchat}\n"
            "With /delete you can delete your data with us at any time.{legal}"
        ),
        "ar": (
            "قبل أن نبدأ، ملاحظة حول حماية البيانات:\n"
            "• يتطلب تيليغرام حسابًا برقم هاتفك.\n"
            "• يحفظ تيليغرام المحادثات مع البوتات على خوادمه، وهذه المحادثة أيضًا.\n"
            "• نحن لا نرى رقم هاتفك ولا نسأل عنه.\n"
            "المحادثة على موقعنا أكثر خصوصية: بدون حساب وبدون رقم هاتف.{webchat}\n"
            "يمكنك حذف بياناتك لدينا في أي وقت باستخدام /delete{legal}"
        ),
        "tr": "Başlamadan önce veri koruma hakkında bir not:\n• Telegram için telefon numaranızla bir hesap gerekir.\n• Telegram, botlarla yapılan sohbetleri sunucularında saklar; bu sohbeti de.\n• Telefon numaranızı görmeyiz ve sormayız.\nWeb sohbetimiz daha korunaklıdır: hesap ve telefon numarası gerekmez.{webchat}\n/delete ile bizdeki bilgilerinizi istediğiniz zaman silebilirsiniz.{legal}",
        "uk": "Перш ніж почати, примітка щодо захисту даних:\n• Для Telegram потрібен обліковий запис із Вашим номером телефону.\n• Telegram зберігає чати з ботами на своїх серверах, і цей чат теж.\n• Ми не бачимо Вашого номера телефону і не питаємо про нього.\nНаш вебчат захищений ще краще: без облікового запису і без номера телефону.{webchat}\nКомандою /delete Ви будь-коли можете видалити свої дані в нас.{legal}",
        "ru": "Прежде чем начать, замечание о защите данных:\n• Для Telegram нужна учётная запись с Вашим номером телефона.\n• Telegram хранит чаты с ботами на своих серверах, и этот чат тоже.\n• Мы не видим Ваш номер телефона и не спрашиваем его.\nНаш веб-чат защищён ещё лучше: без учётной записи и без номера телефона.{webchat}\nКомандой /delete Вы в любой момент можете удалить свои данные у нас.{legal}",
        "pl": "Zanim zaczniemy, uwaga o ochronie danych:\n• Telegram wymaga konta z Twoim numerem telefonu.\n• Telegram przechowuje czaty z botami na swoich serwerach, także ten czat.\n• Nie widzimy Twojego numeru telefonu i o niego nie pytamy.\nNasz czat na stronie jest jeszcze lepiej chroniony: bez konta i bez numeru telefonu.{webchat}\nPoleceniem /delete możesz w każdej chwili usunąć swoje dane u nas.{legal}",
        "fa": "پیش از شروع، نکته‌ای درباره حفاظت از داده‌ها:\n• تلگرام به حسابی با شماره تلفن شما نیاز دارد.\n• تلگرام گفتگو با ربات‌ها را روی سرورهای خود نگه می‌دارد، این گفتگو را هم.\n• ما شماره تلفن شما را نمی‌بینیم و آن را نمی‌پرسیم.\nگفتگوی وب‌سایت ما امن‌تر است: بدون حساب و بدون شماره تلفن.{webchat}\nبا /delete هر وقت بخواهید می‌توانید اطلاعات خود را نزد ما پاک کنید.{legal}",
    },
    # Every message of the bot (not of a counsellor) starts with this line (AI Act Art. 50):
    # the person knows a program answers, not a person.
    "bot": {
        "de": "Automatische Antwort:",
        "ls": "Automatische Antwort vom Computer:",
        "en": "Automatic reply:",
        "ar": "رد آلي:",
        "tr": "Otomatik yanıt:",
        "uk": "Автоматична відповідь:",
        "ru": "Автоматический ответ:",
        "pl": "Odpowiedź automatyczna:",
        "fa": "پاسخ خودکار:",
    },
    "non_text": {
        "de": (
            "Ich kann hier nur Text lesen. Sprachnachrichten, Fotos, Sticker, Dateien und "
            "Standorte kann ich nicht annehmen; davon wurde nichts gespeichert. Bitte "
            "schreiben Sie Ihre Antwort als Text oder tippen Sie auf eine der Antworten."
        ),
        "ls": (
            "Ich kann nur Text lesen.\n"
            "Ich kann keine Sprach-Nachrichten annehmen.\n"
            "Und keine Fotos, Sticker, Dateien oder Orte.\n"
            "Wir haben davon nichts gespeichert.\n"
            "Bitte schreiben Sie Ihre Antwort.\n"
            "Oder tippen Sie auf eine Antwort."
        ),
        "en": (
            "I can only read text here. I cannot take voice messages, photos, stickers, files "
            "or locations; nothing of it was stored. Please write your answer as text or tap "
            "one of the answers."
        ),
        "ar": (
            "يمكنني هنا قراءة النصوص فقط. لا يمكنني استقبال الرسائل الصوتية أو الصور أو "
            "الملصقات أو الملفات أو المواقع، ولم يُحفظ منها شيء. يُرجى كتابة إجابتك كنص "
            "أو الضغط على إحدى الإجابات."
        ),
        "tr": "Burada yalnızca metin okuyabiliyorum. Sesli mesaj, fotoğraf, çıkartma, dosya veya konum alamıyorum; bunlardan hiçbiri kaydedilmedi. Lütfen cevabınızı metin olarak yazın ya da cevaplardan birine dokunun.",
        "uk": "Тут я можу читати лише текст. Голосові повідомлення, фото, стікери, файли чи геопозицію я не приймаю; нічого з цього не збережено. Будь ласка, напишіть відповідь текстом або натисніть одну з відповідей.",
        "ru": "Здесь я могу читать только текст. Голосовые сообщения, фото, стикеры, файлы и геопозицию я не принимаю; ничего из этого не сохранено. Пожалуйста, напишите ответ текстом или нажмите один из ответов.",
        "pl": "Tutaj mogę czytać tylko tekst. Nie przyjmuję wiadomości głosowych, zdjęć, naklejek, plików ani lokalizacji; nic z tego nie zostało zapisane. Napisz odpowiedź tekstem albo dotknij jednej z odpowiedzi.",
        "fa": "اینجا فقط می‌توانم متن بخوانم. پیام صوتی، عکس، استیکر، فایل یا موقعیت مکانی را نمی‌پذیرم؛ هیچ‌کدام ذخیره نشد. لطفاً پاسخ خود را به‌صورت متن بنویسید یا روی یکی از پاسخ‌ها بزنید.",
    },
    "group_decline": {
        "de": (
            "Dieser Bot ist nur für vertrauliche Gespräche unter vier Augen da und verlässt "
            "diese Gruppe. Bitte schreiben Sie ihm direkt in einem privaten Chat."
        ),
        "ls": (
            "Dieser Bot ist nur für Gespräche zu zweit.\n"
            "Er geht jetzt aus der Gruppe.\n"
            "Bitte schreiben Sie dem Bot allein.\n"
            "In einem privaten Chat."
        ),
        "en": (
            "This bot is only for confidential one-to-one conversations and leaves this "
            "group. Please write to it directly in a private chat."
        ),
        "ar": (
            "هذا البوت مخصص للمحادثات السرية الفردية فقط، وسيغادر هذه المجموعة. "
            "يُرجى مراسلته مباشرة في محادثة خاصة."
        ),
        "tr": "Bu bot yalnızca gizli, birebir konuşmalar içindir ve bu gruptan ayrılıyor. Lütfen ona özel bir sohbette doğrudan yazın.",
        "uk": "Цей бот призначений лише для конфіденційних розмов віч-на-віч і виходить із цієї групи. Будь ласка, напишіть йому напряму в особистому чаті.",
        "ru": "Этот бот предназначен только для конфиденциальных разговоров один на один и выходит из этой группы. Пожалуйста, напишите ему напрямую в личном чате.",
        "pl": "Ten bot służy tylko do poufnych rozmów w cztery oczy i opuszcza tę grupę. Napisz do niego bezpośrednio w prywatnym czacie.",
        "fa": "این ربات فقط برای گفتگوهای محرمانه و دونفره است و این گروه را ترک می‌کند. لطفاً مستقیماً در گفتگوی خصوصی به آن بنویسید.",
    },
    "help": {
        "de": (
            "So funktioniert dieser Chat:\n"
            "• Tippen Sie auf eine Antwort oder schreiben Sie.\n"
            "• Bei Fragen mit mehreren Antworten: alle passenden antippen, dann „Fertig“.\n"
            "/restart – neu anfangen\n"
            "/language – Sprache wechseln\n"
            "/delete – Ihre Angaben bei uns löschen\n"
            "/help – diese Hilfe\n"
            "In Gefahr? Polizei 110, Notruf 112."
        ),
        "ls": (
            "So geht der Chat:\n"
            "Tippen Sie auf eine Antwort.\n"
            "Oder schreiben Sie.\n"
            "Manchmal passen mehrere Antworten.\n"
            "Dann tippen Sie auf alle passenden Antworten.\n"
            "Danach tippen Sie auf: Fertig.\n"
            "/restart – neu anfangen\n"
            "/language – andere Sprache\n"
            "/delete – Ihre Daten bei uns löschen\n"
            "/help – diese Hilfe\n"
            "Sind Sie in Gefahr? Rufen Sie die Polizei an: 110. Oder den Not-Ruf: 112."
        ),
        "en": (
            "How this chat works:\n"
            "• Tap an answer or write.\n"
            "• Questions with several answers: tap all that fit, then “Done”.\n"
            "/restart – start again\n"
            "/language – change the language\n"
            "/delete – delete your data with us\n"
            "/help – this help\n"
            "In danger? Police 110, emergency 112."
        ),
        "ar": (
            "كيف تعمل هذه المحادثة:\n"
            "• اضغط على إجابة أو اكتب.\n"
            "• في الأسئلة متعددة الإجابات: اضغط على كل ما يناسب، ثم «تم».\n"
            "/restart – البدء من جديد\n"
            "/language – تغيير اللغة\n"
            "/delete – حذف بياناتك لدينا\n"
            "/help – هذه المساعدة\n"
            "في خطر؟ الشرطة 110، الطوارئ 112."
        ),
        "tr": "Bu sohbet nasıl işler:\n• Bir cevaba dokunun ya da yazın.\n• Birden fazla cevaplı sorular: uyan hepsine dokunun, sonra “Tamam”.\n/restart – yeniden başla\n/language – dili değiştir\n/delete – bizdeki bilgilerinizi sil\n/help – bu yardım\nTehlikede misiniz? Polis 110, acil durum 112.",
        "uk": "Як працює цей чат:\n• Натисніть на відповідь або напишіть.\n• Питання з кількома відповідями: натисніть усі, що підходять, потім «Готово».\n/restart – почати заново\n/language – змінити мову\n/delete – видалити Ваші дані в нас\n/help – ця довідка\nВи в небезпеці? Поліція 110, екстрена допомога 112.",
        "ru": "Как работает этот чат:\n• Нажмите на ответ или напишите.\n• Вопросы с несколькими ответами: нажмите все подходящие, затем «Готово».\n/restart – начать заново\n/language – сменить язык\n/delete – удалить Ваши данные у нас\n/help – эта справка\nВы в опасности? Полиция 110, экстренная помощь 112.",
        "pl": "Jak działa ten czat:\n• Dotknij odpowiedzi albo napisz.\n• Pytania z kilkoma odpowiedziami: dotknij wszystkich pasujących, potem „Gotowe”.\n/restart – zacznij od nowa\n/language – zmień język\n/delete – usuń swoje dane u nas\n/help – ta pomoc\nJesteś w niebezpieczeństwie? Policja 110, numer alarmowy 112.",
        "fa": "این گفتگو چطور کار می‌کند:\n• روی یک پاسخ بزنید یا بنویسید.\n• پرسش‌های چندپاسخی: روی همه پاسخ‌های مناسب بزنید، بعد «تمام».\n/restart – شروع دوباره\n/language – تغییر زبان\n/delete – پاک کردن اطلاعات شما نزد ما\n/help – این راهنما\nدر خطر هستید؟ پلیس 110، اورژانس 112.",
    },
    "language_prompt": {
        "de": "Welche Sprache möchten Sie?",
        "ls": "Welche Sprache möchten Sie?",
        "en": "Which language would you like?",
        "ar": "ما اللغة التي تفضلها؟",
        "tr": "Hangi dili istersiniz?",
        "uk": "Якою мовою Ви хочете писати?",
        "ru": "На каком языке Вы хотите писать?",
        "pl": "W jakim języku chcesz pisać?",
        "fa": "به کدام زبان می‌خواهید بنویسید؟",
    },
    "delete_confirm": {
        "de": (
            "Möchten Sie alles löschen, was Sie uns hier geschrieben haben? Auch Ihr Fall bei "
            "der Beratung wird gelöscht. Das kann man nicht rückgängig machen."
        ),
        "ls": (
            "Wollen Sie alles löschen?\n"
            "Dann löschen wir alles, was Sie uns geschrieben haben.\n"
            "Die Beratung kann Ihren Fall dann nicht mehr lesen.\n"
            "Das geht nicht mehr zurück."
        ),
        "en": (
            "Do you want to delete everything you wrote to us here? Your case with the "
            "counselling team is deleted too. This cannot be undone."
        ),
        "ar": (
            "هل تريد حذف كل ما كتبته لنا هنا؟ سيُحذف ملفك لدى فريق الاستشارة أيضًا. "
            "لا يمكن التراجع عن ذلك."
        ),
        "tr": "Burada bize yazdığınız her şeyi silmek istiyor musunuz? Danışma ekibindeki vakanız da silinir. Bu geri alınamaz.",
        "uk": "Видалити все, що Ви нам тут написали? Ваше звернення в консультантів теж буде видалено. Цього не можна скасувати.",
        "ru": "Удалить всё, что Вы нам здесь написали? Ваше обращение у консультантов тоже будет удалено. Это нельзя отменить.",
        "pl": "Czy chcesz usunąć wszystko, co nam tu napisałeś(-aś)? Twoja sprawa w poradni też zostanie usunięta. Tego nie można cofnąć.",
        "fa": "آیا می‌خواهید هر چه اینجا برای ما نوشته‌اید پاک شود؟ پرونده شما نزد تیم مشاوره هم پاک می‌شود. این کار برگشت‌پذیر نیست.",
    },
    "delete_yes": {
        "de": "Ja, alles löschen",
        "ls": "Ja, alles löschen",
        "en": "Yes, delete everything",
        "ar": "نعم، احذف كل شيء",
        "tr": "Evet, her şeyi sil",
        "uk": "Так, видалити все",
        "ru": "Да, удалить всё",
        "pl": "Tak, usuń wszystko",
        "fa": "بله، همه را پاک کن",
    },
    "delete_no": {
        "de": "Nein, nicht löschen",
        "ls": "Nein, nicht löschen",
        "en": "No, keep it",
        "ar": "لا، لا تحذف",
        "tr": "Hayır, kalsın",
        "uk": "Ні, залишити",
        "ru": "Нет, оставить",
        "pl": "Nie, zostaw",
        "fa": "نه، نگه دار",
    },
    "deleted": {
        "de": (
            "Gelöscht. Bei uns ist nichts mehr von diesem Chat gespeichert. Den Verlauf in "
            "Telegram löschen Sie in der App („Chat löschen“). Mit /start können Sie neu "
            "beginnen."
        ),
        "ls": (
            "Wir haben alles gelöscht.\n"
            "Der Chat ist aber noch in Telegram.\n"
            "Den Chat in Telegram löschen Sie selbst.\n"
            "In der App: Chat löschen.\n"
            "Sie wollen neu anfangen? Dann schreiben Sie: /start"
        ),
        "en": (
            "Deleted. Nothing of this chat is stored with us any more. To delete the history "
            "in Telegram, use “Delete chat” in the app. Send /start to begin again."
        ),
        "ar": (
            "تم الحذف. لم يعد لدينا أي شيء محفوظ من هذه المحادثة. لحذف السجل من تيليغرام "
            "استخدم «حذف المحادثة» في التطبيق. أرسل /start للبدء من جديد."
        ),
        "tr": "Silindi. Bu sohbetten artık hiçbir şey bizde kayıtlı değil. Telegram'daki geçmişi silmek için uygulamada “Sohbeti sil”i kullanın. Yeniden başlamak için /start gönderin.",
        "uk": "Видалено. Нічого з цього чату в нас більше не зберігається. Щоб видалити історію в Telegram, скористайтеся в застосунку пунктом «Видалити чат». Щоб почати знову, надішліть /start.",
        "ru": "Удалено. Ничего из этого чата у нас больше не хранится. Чтобы удалить историю в Telegram, используйте в приложении «Удалить чат». Чтобы начать заново, отправьте /start.",
        "pl": "Usunięto. Nic z tego czatu nie jest już u nas przechowywane. Aby usunąć historię w Telegramie, użyj w aplikacji „Usuń czat”. Aby zacząć od nowa, wyślij /start.",
        "fa": "پاک شد. دیگر چیزی از این گفتگو نزد ما ذخیره نیست. برای پاک کردن تاریخچه در تلگرام، در برنامه «حذف گفتگو» را بزنید. برای شروع دوباره /start را بفرستید.",
    },
    "kept": {
        "de": "Es wurde nichts gelöscht.",
        "ls": "Wir haben nichts gelöscht.",
        "en": "Nothing was deleted.",
        "ar": "لم يُحذف شيء.",
        "tr": "Hiçbir şey silinmedi.",
        "uk": "Нічого не видалено.",
        "ru": "Ничего не удалено.",
        "pl": "Nic nie zostało usunięte.",
        "fa": "چیزی پاک نشد.",
    },
    "counsellor": {
        "de": "Nachricht von der Beratung (ein Mensch schreibt):",
        "ls": "Nachricht von der Beratung. Ein Mensch schreibt:",
        "en": "Message from the counselling team (a person is writing):",
        "ar": "رسالة من فريق الاستشارة (يكتب شخص حقيقي):",
        "tr": "Danışma ekibinden mesaj (bir insan yazıyor):",
        "uk": "Повідомлення від консультантів (пише людина):",
        "ru": "Сообщение от консультантов (пишет человек):",
        "pl": "Wiadomość od poradni (pisze człowiek):",
        "fa": "پیام از تیم مشاوره (یک انسان می‌نویسد):",
    },
    "stale_button": {
        "de": "Diese Frage ist schon beantwortet.",
        "ls": "Diese Frage ist schon beantwortet.",
        "en": "This question has already been answered.",
        "ar": "تمت الإجابة عن هذا السؤال بالفعل.",
        "tr": "Bu soru zaten cevaplandı.",
        "uk": "На це питання вже відповіли.",
        "ru": "На этот вопрос уже ответили.",
        "pl": "Na to pytanie już odpowiedziano.",
        "fa": "به این پرسش قبلاً پاسخ داده شده است.",
    },
    "slow_down": {
        "de": (
            "Das waren viele Nachrichten in kurzer Zeit. "
            "Bitte warten Sie etwas und schreiben Sie dann noch einmal."
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
        "de": "Das hat gerade nicht geklappt. Bitte versuchen Sie es gleich noch einmal.",
        "ls": "Das hat nicht geklappt.\nBitte versuchen Sie es gleich noch einmal.",
        "en": "That did not work just now. Please try again in a moment.",
        "ar": "لم ينجح ذلك الآن. يُرجى المحاولة مرة أخرى بعد قليل.",
        "tr": "Bu şu anda olmadı. Lütfen biraz sonra yeniden deneyin.",
        "uk": "Зараз це не вдалося. Будь ласка, спробуйте ще раз трохи згодом.",
        "ru": "Сейчас это не получилось. Пожалуйста, попробуйте ещё раз чуть позже.",
        "pl": "Teraz to się nie udało. Spróbuj ponownie za chwilę.",
        "fa": "الان انجام نشد. لطفاً کمی بعد دوباره امتحان کنید.",
    },
    # Command descriptions for the menu (setMyCommands); short, as Telegram shows them.
    "cmd_start": {
        "de": "Beginnen",
        "ls": "Anfangen",
        "en": "Begin",
        "ar": "ابدأ",
        "tr": "Başla",
        "uk": "Почати",
        "ru": "Начать",
        "pl": "Zacznij",
        "fa": "شروع",
    },
    "cmd_help": {
        "de": "Hilfe",
        "ls": "Hilfe",
        "en": "Help",
        "ar": "مساعدة",
        "tr": "Yardım",
        "uk": "Довідка",
        "ru": "Справка",
        "pl": "Pomoc",
        "fa": "راهنما",
    },
    "cmd_language": {
        "de": "Sprache wechseln",
        "ls": "Andere Sprache",
        "en": "Change the language",
        "ar": "تغيير اللغة",
        "tr": "Dili değiştir",
        "uk": "Змінити мову",
        "ru": "Сменить язык",
        "pl": "Zmień język",
        "fa": "تغییر زبان",
    },
    "cmd_restart": {
        "de": "Neu anfangen",
        "ls": "Neu anfangen",
        "en": "Start again",
        "ar": "البدء من جديد",
        "tr": "Yeniden başla",
        "uk": "Почати заново",
        "ru": "Начать заново",
        "pl": "Zacznij od nowa",
        "fa": "شروع دوباره",
    },
    "cmd_delete": {
        "de": "Meine Angaben löschen",
        "ls": "Meine Daten löschen",
        "en": "Delete my data",
        "ar": "حذف بياناتي",
        "tr": "Bilgilerimi sil",
        "uk": "Видалити мої дані",
        "ru": "Удалить мои данные",
        "pl": "Usuń moje dane",
        "fa": "پاک کردن اطلاعات من",
    },
}


def language_of(hint: str | None) -> str:
    """One of LANGUAGES for a flow language or Telegram's language_code ("de-AT", "en")."""
    if hint in LANGUAGES:
        return hint
    base = (hint or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str | None, **values: str) -> str:
    return T[key][language_of(language)].format(**values)
