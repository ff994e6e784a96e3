"""The worked example every notes extraction starts from, in the meeting's language.

A small model follows its example closely: given only an English example, it wrote a German
meeting's tasks and dates in English ("by Friday" for "bis Freitag") and sometimes copied the
example's own items. So each language the app writes notes in has the same short meeting and
the same reply, written in that language (:func:`example_for`); the example stays identical
across the calls on one meeting, so its KV cache is reused.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_TRANSCRIPT = """[00:00:05] Ana: Quick update: I finished the mockups yesterday.
[00:00:12] Ana: I'll send the budget to finance by Thursday.
[00:00:20] Ben: The design review is on Monday at two, in room B.
[00:00:31] Ben: So we agreed: no mobile banner this quarter.
[00:00:40] Ben: Carla, can you check the error logs tomorrow?
[00:00:44] Carla: Sure, I will.
[00:00:50] Ben: Someone should clean up the wiki one day. Do we still need the old dashboard?"""

EXAMPLE_REPLY = {
    "commitments": [
        {"owner": "Ana", "task": "send the budget to finance", "due": "by Thursday"},
        {"owner": "Carla", "task": "check the error logs", "due": "tomorrow"},
    ],
    "sessions": [{"title": "Design review", "when": "Monday at two"}],
    "decisions": ["No mobile banner this quarter"],
    "open_questions": ["Is the old dashboard still needed?"],
    "summary": [
        "Ana has finished the mockups and will send the budget to finance.",
        "Carla will look into the error logs.",
        "The design review is planned for Monday.",
    ],
    "title": "Design and budget update",
}


def _reply(commitments: list[tuple[str, str, str]], session: tuple[str, str], decision: str, question: str,
           summary: list[str], title: str) -> dict[str, Any]:  # fmt: skip
    return {
        "commitments": [{"owner": owner, "task": task, "due": due} for owner, task, due in commitments],
        "sessions": [{"title": session[0], "when": session[1]}],
        "decisions": [decision],
        "open_questions": [question],
        "summary": summary,
        "title": title,
    }


#: The same meeting and reply in German, French, Spanish, Italian and Portuguese.
TRANSLATED_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "de": (
        """[00:00:05] Ana: Kurzes Update: Die Entwürfe habe ich gestern fertig gemacht.
[00:00:12] Ana: Ich schicke das Budget bis Donnerstag an die Buchhaltung.
[00:00:20] Ben: Die Designbesprechung ist am Montag um zwei, in Raum B.
[00:00:31] Ben: Also abgemacht: kein Banner in der App in diesem Quartal.
[00:00:40] Ben: Carla, kannst du dir morgen die Fehlerprotokolle ansehen?
[00:00:44] Carla: Klar, mache ich.
[00:00:50] Ben: Jemand müsste irgendwann das Wiki aufräumen. Brauchen wir das alte Dashboard noch?""",
        _reply(
            [("Ana", "das Budget an die Buchhaltung schicken", "bis Donnerstag"), ("Carla", "die Fehlerprotokolle ansehen", "morgen")],
            ("Designbesprechung", "am Montag um zwei"),
            "Kein Banner in der App in diesem Quartal",
            "Wird das alte Dashboard noch gebraucht?",
            ["Ana hat die Entwürfe fertig und schickt das Budget an die Buchhaltung.",
             "Carla sieht sich die Fehlerprotokolle an.", "Die Designbesprechung ist für Montag geplant."],
            "Design- und Budget-Update",
        ),
    ),
    "fr": (
        """[00:00:05] Ana: Petit point, j'ai terminé les maquettes hier.
[00:00:12] Ana: J'envoie le budget à la compta d'ici jeudi.
[00:00:20] Ben: La revue de design est lundi à 14 h, en salle B.
[00:00:31] Ben: Donc c'est décidé, pas de bannière mobile ce trimestre.
[00:00:40] Ben: Carla, tu peux regarder les journaux d'erreurs demain ?
[00:00:44] Carla: Oui, je m'en occupe.
[00:00:50] Ben: Il faudrait un jour nettoyer le wiki. On a encore besoin de l'ancien tableau de bord ?""",
        _reply(
            [("Ana", "envoyer le budget à la compta", "d'ici jeudi"), ("Carla", "regarder les journaux d'erreurs", "demain")],
            ("Revue de design", "lundi à 14 h"),
            "Pas de bannière mobile ce trimestre",
            "L'ancien tableau de bord est-il encore nécessaire ?",
            ["Ana a terminé les maquettes et envoie le budget à la compta.",
             "Carla va examiner les journaux d'erreurs.", "La revue de design est prévue lundi."],
            "Point design et budget",
        ),
    ),
    "es": (
        """[00:00:05] Ana: Una actualización rápida: ayer terminé las maquetas.
[00:00:12] Ana: Envío el presupuesto a finanzas antes del jueves.
[00:00:20] Ben: La revisión de diseño es el lunes a las dos, en la sala B.
[00:00:31] Ben: Entonces queda decidido: nada de banner en el móvil este trimestre.
[00:00:40] Ben: Carla, ¿puedes revisar los registros de errores mañana?
[00:00:44] Carla: Claro, yo me encargo.
[00:00:50] Ben: Alguien debería limpiar la wiki algún día. ¿Todavía necesitamos el panel antiguo?""",
        _reply(
            [("Ana", "enviar el presupuesto a finanzas", "antes del jueves"), ("Carla", "revisar los registros de errores", "mañana")],
            ("Revisión de diseño", "el lunes a las dos"),
            "Nada de banner en el móvil este trimestre",
            "¿Todavía se necesita el panel antiguo?",
            ["Ana terminó las maquetas y enviará el presupuesto a finanzas.",
             "Carla revisará los registros de errores.", "La revisión de diseño está prevista para el lunes."],
            "Actualización de diseño y presupuesto",
        ),
    ),
    "it": (
        """[00:00:05] Ana: Un aggiornamento veloce: ieri ho finito i mockup.
[00:00:12] Ana: Mando il budget all'amministrazione entro giovedì.
[00:00:20] Ben: La revisione del design è lunedì alle due, nella sala B.
[00:00:31] Ben: Quindi è deciso: niente banner sull'app in questo trimestre.
[00:00:40] Ben: Carla, puoi controllare i log degli errori domani?
[00:00:44] Carla: Certo, me ne occupo io.
[00:00:50] Ben: Qualcuno dovrebbe sistemare la wiki prima o poi. Ci serve ancora la vecchia dashboard?""",
        _reply(
            [("Ana", "mandare il budget all'amministrazione", "entro giovedì"), ("Carla", "controllare i log degli errori", "domani")],
            ("Revisione del design", "lunedì alle due"),
            "Niente banner sull'app in questo trimestre",
            "Serve ancora la vecchia dashboard?",
            ["Ana ha finito i mockup e manderà il budget all'amministrazione.",
             "Carla controllerà i log degli errori.", "La revisione del design è prevista per lunedì."],
            "Aggiornamento su design e budget",
        ),
    ),
    "pt": (
        """[00:00:05] Ana: Uma atualização rápida: terminei os protótipos ontem.
[00:00:12] Ana: Eu envio o orçamento para o financeiro até quinta-feira.
[00:00:20] Ben: A revisão de design é na segunda-feira às duas, na sala B.
[00:00:31] Ben: Então fica decidido: nada de banner na app este trimestre.
[00:00:40] Ben: Carla, podes ver os registos de erros amanhã?
[00:00:44] Carla: Claro, eu trato disso.
[00:00:50] Ben: Alguém devia arrumar a wiki um dia. Ainda precisamos do painel antigo?""",
        _reply(
            [("Ana", "enviar o orçamento para o financeiro", "até quinta-feira"), ("Carla", "ver os registos de erros", "amanhã")],
            ("Revisão de design", "na segunda-feira às duas"),
            "Nada de banner na app este trimestre",
            "O painel antigo ainda é necessário?",
            ["A Ana terminou os protótipos e vai enviar o orçamento para o financeiro.",
             "A Carla vai ver os registos de erros.", "A revisão de design está marcada para segunda-feira."],
            "Atualização de design e orçamento",
        ),
    ),
}


def example_for(language: str) -> tuple[str, dict[str, Any]]:
    """The worked example (transcript, reply) in ``language``; English for any other language."""
    return TRANSLATED_EXAMPLES.get(language, (EXAMPLE_TRANSCRIPT, EXAMPLE_REPLY))


#: Every example's items, as "task" and "title when" texts: copied into real notes they are never kept unless said.
EXAMPLE_ITEMS: list[str] = [
    text
    for _transcript, reply in [(EXAMPLE_TRANSCRIPT, EXAMPLE_REPLY), *TRANSLATED_EXAMPLES.values()]
    for text in [c["task"] for c in reply["commitments"]] + [f"{s['title']} {s['when']}" for s in reply["sessions"]]
]
