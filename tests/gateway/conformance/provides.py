"""Subgraphs for `@provides`: nested, and type-conditioned on interface and union fields.

catalog: owns Telescope (name, aperture, operator), Astronomer (name, email), the interface
         Target (Star, Nebula) and the union Media (Image, Video)
news:    Headline.telescope @provides("name operator { name }"),
         Headline.subject @provides("... on Star { name }"),
         Headline.media @provides("... on Image { caption }")
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

TELESCOPES = {"t1": {"name": "Keck", "aperture": 10.0, "operator": "a1"}}
ASTRONOMERS = {"a1": {"name": "Andrea", "email": "andrea@keck.example"}}
TARGETS = {"s1": ("Star", "Vega"), "n1": ("Nebula", "Crab")}
MEDIA = {"i1": ("Image", "First light"), "v1": ("Video", "Timelapse")}
HEADLINES = [
    {"title": "Keck spots Vega", "telescope": "t1", "subject": "s1", "media": ["i1", "v1"]},
    {"title": "Crab in focus", "telescope": "t1", "subject": "n1", "media": []},
]


# -- catalog ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Astronomer")
class CatAstronomer:
    id: strawberry.ID
    name: str
    email: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatAstronomer:
        a = ASTRONOMERS[str(rep["id"])]
        return CatAstronomer(id=rep["id"], name=a["name"], email=a["email"])


@strawberry.federation.type(keys=["id"], name="Telescope")
class CatTelescope:
    id: strawberry.ID
    name: str
    aperture: float
    operator: CatAstronomer

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatTelescope:
        t = TELESCOPES[str(rep["id"])]
        op = str(t["operator"])
        return CatTelescope(
            id=rep["id"],
            name=str(t["name"]),
            aperture=float(t["aperture"]),  # type: ignore[arg-type]
            operator=CatAstronomer.resolve_reference(id=op),
        )


@strawberry.federation.interface(keys=["id"], name="Target")
class CatTarget:
    id: strawberry.ID
    name: str


@strawberry.federation.type(keys=["id"], name="Star")
class CatStar(CatTarget):
    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatStar:
        return CatStar(id=rep["id"], name=TARGETS[str(rep["id"])][1])


@strawberry.federation.type(keys=["id"], name="Nebula")
class CatNebula(CatTarget):
    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatNebula:
        return CatNebula(id=rep["id"], name=TARGETS[str(rep["id"])][1])


@strawberry.federation.type(keys=["id"], name="Image")
class CatImage:
    id: strawberry.ID
    caption: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatImage:
        return CatImage(id=rep["id"], caption=MEDIA[str(rep["id"])][1])


@strawberry.federation.type(keys=["id"], name="Video")
class CatVideo:
    id: strawberry.ID
    caption: str

    @classmethod
    def resolve_reference(cls, **rep: Any) -> CatVideo:
        return CatVideo(id=rep["id"], caption=MEDIA[str(rep["id"])][1])


CatMedia = Annotated[CatImage | CatVideo, strawberry.union("Media")]


@strawberry.type(name="Query")
class CatalogQuery:
    @strawberry.field
    def telescope(self, id: strawberry.ID) -> CatTelescope | None:
        return CatTelescope.resolve_reference(id=id) if str(id) in TELESCOPES else None

    @strawberry.field
    def gallery(self) -> list[CatMedia]:
        return [CatImage.resolve_reference(id="i1")]


catalog = strawberry.federation.Schema(
    query=CatalogQuery, types=[CatStar, CatNebula, CatImage, CatVideo]
)


# -- news ------------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Astronomer")
class NewsAstronomer:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"], name="Telescope")
class NewsTelescope:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True)
    operator: NewsAstronomer = strawberry.federation.field(external=True)


@strawberry.federation.interface(keys=["id"], name="Target")
class NewsTarget:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Star")
class NewsStar(NewsTarget):
    name: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"], name="Nebula")
class NewsNebula(NewsTarget):
    pass


@strawberry.federation.type(keys=["id"], name="Image")
class NewsImage:
    id: strawberry.ID
    caption: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"], name="Video")
class NewsVideo:
    id: strawberry.ID


NewsMedia = Annotated[NewsImage | NewsVideo, strawberry.union("Media")]


def _news_media(mid: str) -> NewsImage | NewsVideo:
    kind, caption = MEDIA[mid]
    if kind == "Image":
        return NewsImage(id=strawberry.ID(mid), caption=caption)
    return NewsVideo(id=strawberry.ID(mid))


@strawberry.type(name="Headline")
class Headline:
    title: str
    _data: strawberry.Private[dict[str, Any]]

    @strawberry.federation.field(provides=["name operator { name }"])
    def telescope(self) -> NewsTelescope:
        t = TELESCOPES[self._data["telescope"]]
        op = str(t["operator"])
        return NewsTelescope(
            id=strawberry.ID(self._data["telescope"]),
            name=str(t["name"]),
            operator=NewsAstronomer(id=strawberry.ID(op), name=ASTRONOMERS[op]["name"]),
        )

    @strawberry.federation.field(provides=["... on Star { name }"])
    def subject(self) -> NewsTarget:
        tid = self._data["subject"]
        kind, name = TARGETS[tid]
        if kind == "Star":
            return NewsStar(id=strawberry.ID(tid), name=name)
        return NewsNebula(id=strawberry.ID(tid))

    @strawberry.federation.field(provides=["... on Image { caption }"])
    def media(self) -> list[NewsMedia]:
        return [_news_media(mid) for mid in self._data["media"]]


@strawberry.type(name="Query")
class NewsQuery:
    @strawberry.field
    def headlines(self) -> list[Headline]:
        return [Headline(title=h["title"], _data=h) for h in HEADLINES]  # type: ignore[arg-type]


news = strawberry.federation.Schema(query=NewsQuery, types=[NewsStar, NewsNebula])


SCHEMAS = {"catalog": catalog, "news": news}
