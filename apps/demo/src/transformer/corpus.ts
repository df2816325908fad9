/**
 * The GPT page's built-in training text: short verses written for this demo (free to use
 * with the rest of the repository). Repetitive on purpose, with a small alphabet, so that a
 * tiny character model picks up words, line breaks and rhyme-like patterns within a minute.
 */
export const BUILT_IN_TEXT = `THE LAMPLIGHTER'S ALMANAC

In the first month the river keeps its secrets under ice.
The miller counts his sacks of grain and counts them twice.
The children draw the winter on the windows with a thumb,
and every evening by the door we wait for spring to come.

In the second month the crows come home to the empty field.
The smith is mending plowshares and the oxen wait to yield.
The baker lights the oven while the town is still asleep,
and bread is warm by morning for the shepherd and the sheep.

In the third month the river breaks and runs across the stones.
The orchard wakes in blossom and the wind is in our bones.
The weaver sets her loom again with thread of green and gold,
and every story in the square is one we have been told.

In the fourth month the swallows write their letters on the sky.
The farmer walks the furrows and the furrows do not lie.
The lamplighter climbs his ladder when the day begins to fade,
and lights the lamps along the lane that his own father made.

In the fifth month the meadow hums with bees above the clover.
The fisher mends her nets and says the long cold days are over.
The road is full of travelers who carry news and salt,
and when the news is bad they say the weather is at fault.

In the sixth month the days are long and nobody is tired.
The carpenter builds a boat that nobody has hired.
The river takes it anyway and carries it to sea,
and the carpenter stands on the bank and laughs like he is free.

In the seventh month the wheat is tall and gold along the hill.
The miller oils the wheel and listens to the water mill.
The children swim below the bridge and shout their names aloud,
and every name comes back to them from somewhere in the cloud.

In the eighth month the storms arrive with thunder in their hands.
The shepherd brings the flock inside and no one understands
how quickly all the sky can change from blue to iron gray,
and how the rain can wash the dust of summer all away.

In the ninth month the apples fall and roll into the ditch.
The cobbler sews a pair of boots for someone who is rich.
The lamplighter is older now and slower on the stair,
but every lamp along the lane is burning when we care.

In the tenth month the leaves come down in red and brown and rust.
The weaver packs her colors in a box of cedar dust.
The geese are leaving in a line that points the way to south,
and every child who sees them has a question in her mouth.

In the eleventh month the fog comes early to the town.
The baker keeps the oven warm and no one wears a frown.
The river carries leaves and sticks and secrets to the sea,
and the old men by the fire say that this is how things be.

In the twelfth month the snow is deep and all the roads are white.
The lamplighter climbs his ladder on the longest night.
He lights the lamps along the lane as he has always done,
and waits beside the last one for the coming of the sun.

SAYINGS OF THE LANE

A lamp that is not lit is only a pole with a hat.
The river does not hurry, and yet it is never late.
Count the sacks at night, and count the stars in the morning.
A boat that nobody hired is a boat that belongs to the river.
The baker knows the hour before the bell does.
Mend the net before the fish, and the roof before the rain.
Every road is long to the one who carries salt.
The weaver's thread is short, but the story is long.
When the geese go south, ask them nothing; they are busy.
A question in the mouth of a child is worth a sack of grain.
The smith forgets nothing, the miller forgives nothing, the shepherd sleeps.
Light the last lamp, and then wait for the sun.
`;
