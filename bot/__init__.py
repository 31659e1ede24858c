"""The Teams edge: botbuilder and aiohttp.web live here and only here."""
