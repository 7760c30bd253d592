# The part every OX UDM module shares: it turns the module's DECLARATION (from
# ucs/udm/properties.json) into what UDM reads from a handler module. ucs/generate.py copies
# this file, from the line after this header, into each handler between the GENERATED
# markers: a handler is registered in LDAP as one file, so it cannot import a neighbour.
# Runs on UCS 5 (Python 3.7): no syntax newer than 3.7 here. Not registered by itself.
#
# The handler defines before the generated part: ``_`` (its translation), the imports of
# univention.admin.{handlers,localization,mapping,syntax} and of Group and Tab from
# univention.admin.layout, and its module-local syntax classes.


def _syntax_class(name, scope):
    """A syntax class by name: the module's own first, then UDM's (and syntax.d's)."""
    local = scope.get(name)
    if isinstance(local, type):
        return local
    return getattr(univention.admin.syntax, name)


def _build_options(declaration):
    return {
        "default": univention.admin.option(
            short_description=_(declaration["short_description"]),
            default=True,
            objectClasses=list(declaration["object_classes"]),
        ),
    }


def _build_properties(declaration, scope):
    descriptions = {}
    for prop in declaration["properties"]:
        kwargs = {
            "short_description": _(prop["label"]),
            "long_description": _(prop["description"]),
            "syntax": _syntax_class(prop["syntax"], scope),
            "multivalue": prop["multivalue"],
            "required": prop["required"],
            "may_change": prop["may_change"],
            "identifies": prop["identifies"],
            "dontsearch": prop.get("dontsearch", False),
            "include_in_default_search": prop["identifies"],
        }
        if prop["default"] is not None:
            kwargs["default"] = prop["default"]
        descriptions[prop["name"]] = univention.admin.property(**kwargs)
    return descriptions


def _build_mapping(declaration):
    mapping = univention.admin.mapping.mapping()
    for prop in declaration["properties"]:
        if prop["ldap"] is None:  # virtual: the handler maps it itself
            continue
        if prop["multivalue"]:
            mapping.register(prop["name"], prop["ldap"])
        elif prop.get("lower_case"):
            mapping.register(
                prop["name"], prop["ldap"], None, univention.admin.mapping.ListToLowerString
            )
        else:
            unmap = univention.admin.mapping.ListToString
            mapping.register(prop["name"], prop["ldap"], None, unmap)
    return mapping


def _build_layout(declaration):
    return [
        Tab(
            _(tab["tab"]),
            _(tab["description"]),
            layout=[Group(_(group["name"]), layout=group["rows"]) for group in tab["groups"]],
        )
        for tab in declaration["layout"]
    ]
