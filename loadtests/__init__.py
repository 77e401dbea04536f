"""Load tests of an OCPI 2.3.0 implementation's token validation and registration, and the hub's benchmark.

``locustfile.py`` and ``users.py`` run inside Locust (gevent); everything else (``run``, ``bench``, ``peer``, ``data``,
``results``) is plain Python that starts Locust as a subprocess, so it can be imported from pytest, which must never
import locust (gevent's monkey patching breaks asyncio there).
"""
